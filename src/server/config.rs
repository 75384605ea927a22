//! Server configuration: `Leptos.toml` for the Leptos runtime options, the environment for the rest.
//! Names are fixed by the API contract (docs in the README).

use std::{net::SocketAddr, sync::Arc};

use leptos::config::LeptosOptions;

use crate::domain::rates::{load::RulesError, Programme};

/// The file the built server reads its Leptos runtime options from (relative to the working directory).
pub const LEPTOS_CONFIG_FILE: &str = "Leptos.toml";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub leptos: LeptosOptions,
    /// The programme's rules: `LINKSMITH_RULES`, else the copy compiled into the binary.
    pub programme: Arc<Programme>,
}

/// With `hash-files`, Leptos reads `hash.txt` beside the binary and panics on every page without
/// it (a debug binary, or a build that was not made by cargo-leptos): warn once and serve the
/// unhashed names instead.
fn check_hash_file(mut leptos: LeptosOptions) -> LeptosOptions {
    if leptos.hash_files {
        let hash = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join(leptos.hash_file.as_ref())));
        if !hash.as_ref().is_some_and(|h| h.exists()) {
            tracing::warn!(
                expected = %hash.map(|h| h.display().to_string()).unwrap_or_default(),
                "no hash file beside the binary: serving unhashed asset names; build the site with `cargo leptos build --release`"
            );
            leptos.hash_files = false;
        }
    }
    leptos
}

/// Reads the rules the operator names in `LINKSMITH_RULES`, or the embedded default.
pub fn load_programme(path: Option<&str>) -> Result<Programme, StartupError> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| StartupError::RulesFile {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            Ok(Programme::from_toml(&text, path)?)
        }
        None => Ok(Programme::embedded()?),
    }
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
        let leptos = check_hash_file(leptos);
        let rules = std::env::var("LINKSMITH_RULES")
            .ok()
            .filter(|p| !p.trim().is_empty());
        let programme = Arc::new(load_programme(rules.as_deref())?);
        Ok(Self { leptos, programme })
    }

    /// A configuration for tests and embedding: the given Leptos options, defaults elsewhere.
    pub fn with_leptos(leptos: LeptosOptions) -> Self {
        let programme =
            Arc::new(Programme::embedded().expect("the embedded rules are valid (tested)"));
        Self { leptos, programme }
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
    #[error("could not read the rules file {path} (LINKSMITH_RULES): {reason}. Point LINKSMITH_RULES at a readable copy of rules/programme.toml, or unset it to use the built-in rules")]
    RulesFile { path: String, reason: String },
    #[error("the programme rules are invalid: {0}. Fix the file and start again")]
    Rules(#[from] RulesError),
    #[error("{name} is not usable: {problem}. Fix or unset it")]
    Setting { name: &'static str, problem: String },
    #[error("{0}")]
    Store(#[from] super::catalog::StoreError),
    #[error("the server stopped on an I/O error: {0}")]
    Serve(#[source] std::io::Error),
}
