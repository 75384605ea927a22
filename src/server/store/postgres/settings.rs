//! Where the database is and how every connection of the store is made: the address as
//! Linksmith reads it, the pool's limits, and what Linksmith adds where the address says nothing.

use std::time::Duration;

use tokio_postgres::Config;

use super::tls::{self, Tls};
use crate::server::store::StoreError;

/// TCP keepalives on every connection of the store (the pool's and the one listening for
/// imports): after 30 s of silence a probe every 10 s, and the connection is dropped after 3
/// unanswered, so a peer gone silent (a partition, a database host powered off) is noticed within
/// about a minute rather than the system's two hours. The listening connection then reconnects
/// and the catalogue's memory is not trusted meanwhile.
pub const KEEPALIVE_IDLE: Duration = Duration::from_secs(30);
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
pub const KEEPALIVE_RETRIES: u32 = 3;
/// Data sent and not acknowledged for this long drops the connection too (a statement sent into
/// a partition: keepalives only probe an idle connection).
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(60);

/// The pool's limits (`LINKSMITH_DATABASE_POOL`, `LINKSMITH_DATABASE_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections this instance holds at most.
    pub max_connections: usize,
    /// The longest wait for a connection, a new connection or one statement.
    pub timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            timeout: Duration::from_secs(2),
        }
    }
}

/// Where a configuration points, without its password: `host:port/database as user`.
pub(super) fn target_of(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}:{port}/{} as {}",
        if hosts.is_empty() {
            "localhost".into()
        } else {
            hosts.join(",")
        },
        config.get_dbname().unwrap_or("(default)"),
        config.get_user().unwrap_or("(default)")
    )
}

/// A database address as Linksmith reads it: tokio-postgres's settings, and how its connections
/// are protected (`sslmode`, `sslrootcert`: [`tls`]).
#[derive(Clone, Debug)]
pub struct Database {
    pub config: Config,
    pub tls: Tls,
}

/// Reads `LINKSMITH_DATABASE_URL`: a `postgres://` or `postgresql://` address (or key=value
/// settings) with its `sslmode` (`disable`, `require`, `verify-ca`, `verify-full`; `allow` and
/// `prefer` are refused: they fall back to plain text unsaid) and `sslrootcert`. Errors never
/// repeat the password.
pub fn parse_url(url: &str) -> Result<Database, StoreError> {
    let split = tls::split(url);
    let mut config: Config = split.rest.parse().map_err(|e: tokio_postgres::Error| {
        StoreError::BadUrl(format!(
            "is not a PostgreSQL address ({e}): write postgres://user:password@host:5432/database"
        ))
    })?;
    if config.get_hosts().is_empty() {
        return Err(StoreError::BadUrl(
            "names no host: write postgres://user:password@host:5432/database".into(),
        ));
    }
    let tls = tls::settle(&split, &mut config)?;
    Ok(Database { config, tls })
}

/// The settings every connection of the store is made with: the address's, plus what Linksmith
/// adds where the address says nothing: a connect time-out, the application name, server-side
/// statement and lock time-outs, TCP keepalives ([`KEEPALIVE_IDLE`], [`KEEPALIVE_INTERVAL`],
/// [`KEEPALIVE_RETRIES`]) and [`TCP_USER_TIMEOUT`].
pub fn connection_settings(url: &str, settings: PoolSettings) -> Result<Database, StoreError> {
    let Database { mut config, tls } = parse_url(url)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(settings.timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("linksmith");
    }
    // Every statement is bounded on the server too (a statement the client gave up on must
    // not hold a connection).
    let statement_ms = settings.timeout.as_millis().max(1);
    let options = format!(
        "{} -c statement_timeout={statement_ms} -c lock_timeout={statement_ms}",
        config.get_options().unwrap_or("")
    );
    config.options(options.trim());
    // tokio-postgres's defaults (on, 2 hours idle, the system's interval and count) are left to
    // what the address says only where it says something.
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(KEEPALIVE_IDLE);
    }
    if config.get_keepalives_interval().is_none() {
        config.keepalives_interval(KEEPALIVE_INTERVAL);
    }
    if config.get_keepalives_retries().is_none() {
        config.keepalives_retries(KEEPALIVE_RETRIES);
    }
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(TCP_USER_TIMEOUT);
    }
    Ok(Database { config, tls })
}
