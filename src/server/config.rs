//! Server configuration: `Leptos.toml` for the Leptos runtime options, the environment for the rest.
//! Names are fixed by the API contract (docs in the README).

use std::net::SocketAddr;

use leptos::config::LeptosOptions;

/// The file the built server reads its Leptos runtime options from (relative to the working directory).
pub const LEPTOS_CONFIG_FILE: &str = "Leptos.toml";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub leptos: LeptosOptions,
}

impl ServerConfig {
    /// Reads `Leptos.toml` (any `LEPTOS_*` variable overrides a key of it).
    pub fn from_env() -> Result<Self, StartupError> {
        let leptos = leptos::config::get_configuration(Some(LEPTOS_CONFIG_FILE))
            .map_err(|err| StartupError::LeptosConfig {
                path: LEPTOS_CONFIG_FILE.to_string(),
                reason: err.to_string(),
            })?
            .leptos_options;
        Ok(Self { leptos })
    }

    /// A configuration for tests and embedding: the given Leptos options, defaults elsewhere.
    pub fn with_leptos(leptos: LeptosOptions) -> Self {
        Self { leptos }
    }
}

/// Why the server could not start (or stopped): each says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "could not read the Leptos runtime options from {path}: {reason}. \
         Start the server from the directory that holds {path} and the built site (the repository root)"
    )]
    LeptosConfig { path: String, reason: String },
    #[error("could not listen on {addr}: {source}. Is another program using that port? Set LEPTOS_SITE_ADDR to a free address")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped on an I/O error: {0}")]
    Serve(#[source] std::io::Error),
}
