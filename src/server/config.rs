//! Server configuration: `Leptos.toml` for the Leptos runtime options, the environment for the rest.
//! Names are fixed by the API contract (docs in the README).

use std::{net::SocketAddr, sync::Arc};

use leptos::config::LeptosOptions;

use super::clock::Clock;
pub use super::limit::{RateLimit, TrustedProxies};
use super::sources::open_platform::{Credentials, DEFAULT_GATEWAY};
use crate::domain::{
    country::Country,
    rates::{load::RulesError, Programme},
    template::LinkTemplate,
};

/// The file the built server reads its Leptos runtime options from (relative to the working directory).
pub const LEPTOS_CONFIG_FILE: &str = "Leptos.toml";

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub leptos: LeptosOptions,
    /// The programme's rules: `LINKSMITH_RULES`, else the copy compiled into the binary.
    pub programme: Arc<Programme>,
    /// `LINKSMITH_DEFAULT_COUNTRY`: the delivery country when a request names none.
    pub default_country: Country,
    /// `LINKSMITH_LINK_TEMPLATE`: the affiliate link template; none means direct links.
    pub template: Option<LinkTemplate>,
    /// `LINKSMITH_MAX_BATCH`: the most links one batch may hold.
    pub max_batch: usize,
    /// `LINKSMITH_API_RATE` and `LINKSMITH_API_BURST`: links per second per client, and the
    /// links it may check at once (default: the batch limit), on every path that checks links;
    /// `None` turns the limiter off.
    pub rate_limit: Option<RateLimit>,
    /// `LINKSMITH_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Limits on each client connection (slow or too many clients).
    pub connections: ConnectionLimits,
    /// `LINKSMITH_DB`: the embedded store's file.
    pub db_path: std::path::PathBuf,
    /// `LINKSMITH_DATABASE_URL`: PostgreSQL, shared by several instances, in place of the file.
    /// Checked at start (never logged: it may hold a password).
    pub database_url: Option<String>,
    /// `LINKSMITH_DATABASE_POOL`, `LINKSMITH_DATABASE_TIMEOUT_MS`: PostgreSQL connections and waits.
    pub database_pool: super::store::postgres::PoolSettings,
    /// `ALIEXPRESS_API_URL`: the Open Platform gateway (https, or http on loopback for tests).
    pub api_url: url::Url,
    /// `TELEGRAM_BOT_TOKEN` and `TELEGRAM_API_URL`: the bot, when a token is set.
    pub telegram: Option<super::telegram::BotSettings>,
    /// `ALIEXPRESS_APP_KEY`, `ALIEXPRESS_APP_SECRET`, `ALIEXPRESS_TRACKING_ID`: all three, or the
    /// API source is off.
    pub credentials: Option<Credentials>,
    /// `LINKSMITH_RULES`: the rules file the programme was read from; none for the embedded copy.
    pub rules_file: Option<String>,
    /// `EPN_CLIENT_ID`, `EPN_CLIENT_SECRET` (both, or ePN is off), `EPN_API_URL`, `EPN_OAUTH_URL`.
    pub epn: Option<super::sources::networks::epn::EpnConfig>,
    /// `ADMITAD_CLIENT_ID`, `ADMITAD_CLIENT_SECRET` (both, or Admitad is off), `ADMITAD_API_URL`.
    pub admitad: Option<super::sources::networks::admitad::AdmitadConfig>,
    /// `LINKSMITH_SOURCE_ORDER`: which status source decides first.
    pub source_order: Vec<crate::domain::sources::StatusSource>,
    /// `LINKSMITH_LOOKUPS_PER_HOUR`: fresh look-ups per client per hour (a burst of the batch
    /// limit); `None` (`off`) lets every client spend without a bound (tests, measurements).
    pub lookups_per_hour: Option<u32>,
    /// Each source's call ceiling: `ALIEXPRESS_API_CALLS_PER_MINUTE`, `EPN_CALLS_PER_MINUTE`,
    /// `ADMITAD_CALLS_PER_MINUTE`, `LINKSMITH_PAGE_FETCHES_PER_MINUTE` and their `..._PER_DAY`.
    pub ceilings: super::resolver::Ceilings,
    /// The calendar a check reads its date from (once per check): dated rules apply from it.
    /// `LINKSMITH_DATE` pins it (tests; "what did the terms say on that day").
    pub calendar: Calendar,
    /// The one clock of calendar time, handed to everything the state builds
    /// (`server::clock`); the system's, or a test's.
    pub clock: Clock,
}

/// Where a check's date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Calendar {
    /// Today in UTC, by the system clock.
    #[default]
    System,
    /// A set date.
    Fixed(crate::domain::date::Date),
}

impl Calendar {
    /// The date of a check: the pinned one, else today by `clock`.
    pub fn today(self, clock: &Clock) -> crate::domain::date::Date {
        match self {
            Calendar::System => clock.today(),
            Calendar::Fixed(d) => d,
        }
    }
}

/// `LINKSMITH_DB` through `lookup`, default `data/linksmith.db`.
pub fn db_path(lookup: impl Fn(&str) -> Option<String>) -> std::path::PathBuf {
    lookup("LINKSMITH_DB")
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "data/linksmith.db".into())
        .into()
}

/// What one client may take: the server reads a request's headers within `header_read_timeout`
/// (a slowloris client is dropped), answers 408 to a request whose body arrives or whose answer
/// is ready later than `request_timeout`, holds at most `max_connections` connections in all and
/// `max_per_client` from one client address (IPv6: one /64; trusted proxies are exempt), drops a
/// connection that sends nothing for `idle_timeout` (idle keep-alive included) or does not take
/// what it is sent within `write_timeout` (a client that reads slowly).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConnectionLimits {
    pub header_read_timeout: std::time::Duration,
    pub request_timeout: std::time::Duration,
    pub max_connections: usize,
    pub max_per_client: usize,
    pub idle_timeout: std::time::Duration,
    pub write_timeout: std::time::Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(10),
            request_timeout: std::time::Duration::from_secs(30),
            max_connections: 4096,
            max_per_client: 64,
            idle_timeout: std::time::Duration::from_secs(60),
            write_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Fresh look-ups per client per hour (check-api.md, "Clients and fair use").
pub const DEFAULT_LOOKUPS_PER_HOUR: u32 = 2000;

/// Links per second a client checks in the long run: a person pastes a few times a minute; a bot
/// checking links one by one stays under five a second.
pub const DEFAULT_LINKS_PER_SECOND: u32 = 5;

pub const DEFAULT_MAX_BATCH: usize = 1000;

/// Refuses a secret setting (a client or app secret) over
/// [`super::sources::networks::MAX_SECRET_BYTES`] with a sentence naming the variable, never its value:
/// a secret is kept whole or not at all.
fn check_secret(
    env: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<(), StartupError> {
    let max = super::sources::networks::MAX_SECRET_BYTES;
    match env(name) {
        Some(v) if v.trim().len() > max => Err(StartupError::Setting {
            name,
            problem: format!(
                "it is {} bytes long, over the {} KiB Linksmith keeps (a secret is never cut)",
                v.trim().len(),
                max / 1024
            ),
        }),
        _ => Ok(()),
    }
}

impl ServerConfig {
    /// Reads the Linksmith settings from the environment (the names are in the README): the only
    /// place the server reads its environment, besides Leptos's own `LEPTOS_*`.
    pub fn with_env_settings(self) -> Result<Self, StartupError> {
        self.with_settings(|name| std::env::var(name).ok())
    }

    /// Reads the Linksmith settings through `lookup` (a variable's value by name); empty is unset.
    pub fn with_settings(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, StartupError> {
        let env = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(path) = env("LINKSMITH_RULES") {
            self.programme = Arc::new(load_programme(Some(&path))?);
            self.rules_file = Some(path);
        }
        self.db_path = db_path(env);
        if let Some(url) = env("LINKSMITH_DATABASE_URL") {
            super::store::postgres::parse_url(&url).map_err(|e| StartupError::Setting {
                name: "LINKSMITH_DATABASE_URL",
                // The store's sentence without its own "LINKSMITH_DATABASE_URL" in front.
                problem: match e {
                    super::store::StoreError::BadUrl(problem) => problem,
                    other => other.to_string(),
                },
            })?;
            self.database_url = Some(url.trim().to_string());
        }
        if let Some(n) = super::whole_number(&env, "LINKSMITH_DATABASE_POOL", 1, 1000)? {
            self.database_pool.max_connections = n as usize;
        }
        if let Some(n) = super::whole_number(&env, "LINKSMITH_DATABASE_TIMEOUT_MS", 50, 60_000)? {
            self.database_pool.timeout = std::time::Duration::from_millis(n);
        }
        if let Some(url) = env("ALIEXPRESS_API_URL") {
            self.api_url = super::api_base_url(&url).map_err(|problem| StartupError::Setting {
                name: "ALIEXPRESS_API_URL",
                problem,
            })?;
        }
        for name in [
            "ALIEXPRESS_APP_SECRET",
            "EPN_CLIENT_SECRET",
            "ADMITAD_CLIENT_SECRET",
        ] {
            check_secret(&env, name)?;
        }
        self.credentials = Credentials::from_settings(env);
        if let Some(c) = env("LINKSMITH_DEFAULT_COUNTRY") {
            self.default_country = Country::parse(&c).map_err(|e| StartupError::Setting {
                name: "LINKSMITH_DEFAULT_COUNTRY",
                problem: e.to_string(),
            })?;
        }
        if let Some(t) = env("LINKSMITH_LINK_TEMPLATE") {
            self.template = Some(LinkTemplate::parse(&t).map_err(|e| StartupError::Setting {
                name: "LINKSMITH_LINK_TEMPLATE",
                problem: e.to_string(),
            })?);
        }
        if let Some(n) = super::whole_number(&env, "LINKSMITH_MAX_BATCH", 1, 100_000)? {
            self.max_batch = n as usize;
        }
        let off = env("LINKSMITH_API_RATE").is_some_and(|v| v.trim().eq_ignore_ascii_case("off"));
        if off {
            self.rate_limit = None;
        } else {
            // One full paste (the batch limit) always passes.
            let mut limit = RateLimit {
                per_second: DEFAULT_LINKS_PER_SECOND,
                burst: u32::try_from(self.max_batch).unwrap_or(u32::MAX),
            };
            if let Some(n) = super::whole_number(&env, "LINKSMITH_API_RATE", 1, 1_000_000)? {
                limit.per_second = n as u32;
            }
            if let Some(n) = super::whole_number(&env, "LINKSMITH_API_BURST", 1, 1_000_000)? {
                limit.burst = n as u32;
            }
            self.rate_limit = Some(limit);
        }
        if let Some(t) = env("LINKSMITH_TRUSTED_PROXIES") {
            self.trusted_proxies =
                TrustedProxies::parse(&t).map_err(|problem| StartupError::Setting {
                    name: "LINKSMITH_TRUSTED_PROXIES",
                    problem,
                })?;
        }
        let base = |name: &'static str, default: &str| {
            super::api_base_url(&env(name).unwrap_or_else(|| default.to_string()))
                .map_err(|problem| StartupError::Setting { name, problem })
        };
        self.epn = match (env("EPN_CLIENT_ID"), env("EPN_CLIENT_SECRET")) {
            (Some(id), Some(secret)) => Some(super::sources::networks::epn::EpnConfig {
                api: base("EPN_API_URL", super::sources::networks::epn::DEFAULT_API)?,
                oauth: base(
                    "EPN_OAUTH_URL",
                    super::sources::networks::epn::DEFAULT_OAUTH,
                )?,
                client_id: id.trim().to_string(),
                client_secret: super::sources::Secret::new(secret.trim()),
            }),
            _ => None,
        };
        self.admitad = match (env("ADMITAD_CLIENT_ID"), env("ADMITAD_CLIENT_SECRET")) {
            (Some(id), Some(secret)) => Some(super::sources::networks::admitad::AdmitadConfig {
                api: base(
                    "ADMITAD_API_URL",
                    super::sources::networks::admitad::DEFAULT_API,
                )?,
                client_id: id.trim().to_string(),
                client_secret: super::sources::Secret::new(secret.trim()),
            }),
            _ => None,
        };
        if let Some(order) = env("LINKSMITH_SOURCE_ORDER") {
            self.source_order = crate::domain::sources::parse_order(&order).map_err(|problem| {
                StartupError::Setting {
                    name: "LINKSMITH_SOURCE_ORDER",
                    problem,
                }
            })?;
        }
        if let Some(d) = env("LINKSMITH_DATE") {
            let date = crate::domain::date::Date::parse(d.trim()).ok_or_else(|| {
                StartupError::Setting {
                    name: "LINKSMITH_DATE",
                    problem: format!("\"{d}\" is not a date as YYYY-MM-DD"),
                }
            })?;
            self.calendar = Calendar::Fixed(date);
        }
        if let Some(n) =
            super::whole_number(&env, "LINKSMITH_MAX_CONNECTIONS_PER_CLIENT", 1, 1_000_000)?
        {
            self.connections.max_per_client = n as usize;
        }
        self.telegram = super::telegram::BotSettings::from_settings(&env)?;
        if env("LINKSMITH_LOOKUPS_PER_HOUR").is_some_and(|v| v.trim().eq_ignore_ascii_case("off")) {
            self.lookups_per_hour = None;
        } else if let Some(n) =
            super::whole_number(&env, "LINKSMITH_LOOKUPS_PER_HOUR", 1, 100_000_000)?
        {
            self.lookups_per_hour = Some(n as u32);
        }
        let ceilings = &mut self.ceilings;
        for (ceiling, minute, day) in [
            (
                &mut ceilings.api,
                "ALIEXPRESS_API_CALLS_PER_MINUTE",
                "ALIEXPRESS_API_CALLS_PER_DAY",
            ),
            (
                &mut ceilings.epn,
                "EPN_CALLS_PER_MINUTE",
                "EPN_CALLS_PER_DAY",
            ),
            (
                &mut ceilings.admitad,
                "ADMITAD_CALLS_PER_MINUTE",
                "ADMITAD_CALLS_PER_DAY",
            ),
            (
                &mut ceilings.pages,
                "LINKSMITH_PAGE_FETCHES_PER_MINUTE",
                "LINKSMITH_PAGE_FETCHES_PER_DAY",
            ),
        ] {
            if let Some(n) = super::whole_number(&env, minute, 1, 1_000_000)? {
                ceiling.per_minute = n as u32;
            }
            if let Some(n) = super::whole_number(&env, day, 1, 1_000_000_000)? {
                ceiling.per_day = Some(n);
            }
        }
        Ok(self)
    }
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
        let programme = Arc::new(load_programme(None)?);
        Self::new(leptos, programme).with_env_settings()
    }

    /// A configuration for tests and embedding: the given Leptos options, defaults elsewhere.
    pub fn with_leptos(leptos: LeptosOptions) -> Self {
        let programme =
            Arc::new(Programme::embedded().expect("the embedded rules are valid (tested)"));
        Self::new(leptos, programme)
    }

    /// The given options and rules, every other setting at its default.
    pub fn new(leptos: LeptosOptions, programme: Arc<Programme>) -> Self {
        Self {
            leptos,
            programme,
            default_country: Country::parse("US").expect("US is a country"),
            template: None,
            max_batch: DEFAULT_MAX_BATCH,
            rate_limit: Some(RateLimit {
                per_second: DEFAULT_LINKS_PER_SECOND,
                burst: DEFAULT_MAX_BATCH as u32,
            }),
            trusted_proxies: TrustedProxies::default(),
            connections: ConnectionLimits::default(),
            db_path: db_path(|_| None),
            database_url: None,
            database_pool: super::store::postgres::PoolSettings::default(),
            api_url: url::Url::parse(DEFAULT_GATEWAY).expect("the default gateway is an address"),
            credentials: None,
            telegram: None,
            rules_file: None,
            epn: None,
            admitad: None,
            source_order: crate::domain::sources::AUTHORITY.to_vec(),
            lookups_per_hour: Some(DEFAULT_LOOKUPS_PER_HOUR),
            ceilings: super::resolver::Ceilings::default(),
            calendar: Calendar::System,
            clock: Clock::system(),
        }
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
    Store(#[from] super::store::StoreError),
}
