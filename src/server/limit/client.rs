//! Who a request comes from, as the fair-use limits count it (check-api.md, "Clients and fair
//! use"): an API key when the request carries a valid `Authorization: Bearer <key>`, else the
//! address (the TCP peer, or the client a trusted proxy names).

use std::net::IpAddr;

use super::RateLimit;

/// A client of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    /// An API key: the store's id of the key (never the key itself).
    Key(i64),
    /// An address (IPv4-mapped IPv6 addresses are their IPv4 address). The limits also count
    /// the prefixes it belongs to (`limit`).
    Address(IpAddr),
    /// A Telegram user of the bot (the user's id): one bucket, at the addresses' rate.
    Telegram(i64),
    /// The bot's rounds over watched products: the server's own background work, which never
    /// takes more than half of a source's calls and goes after every waiting client.
    Rounds,
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Client::Key(id) => write!(f, "key #{id}"),
            Client::Address(ip) => write!(f, "{ip}"),
            Client::Telegram(user) => write!(f, "Telegram user {user}"),
            Client::Rounds => f.write_str("the watch rounds"),
        }
    }
}

/// A request's client with the limits it is held to.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub client: Client,
    /// The key's own link rate, where it has one (else the server's `LINKSMITH_API_RATE`).
    pub links: Option<RateLimit>,
    /// The key's own fresh look-ups per hour, where it has one (else
    /// `LINKSMITH_LOOKUPS_PER_HOUR`).
    pub lookups_per_hour: Option<u32>,
    /// False when the request may not spend fresh look-ups at all: a navigation from another
    /// site to a shared address is answered from what is remembered only.
    pub fresh: bool,
}

impl Caller {
    /// An address client under the server's limits.
    pub fn address(ip: IpAddr) -> Caller {
        Caller {
            client: Client::Address(ip),
            links: None,
            lookups_per_hour: None,
            fresh: true,
        }
    }

    /// The bot's rounds over watched products: no link or look-up limit of a client (the
    /// sources' gates give them at most half of each ceiling).
    pub fn rounds() -> Caller {
        Caller {
            client: Client::Rounds,
            links: None,
            lookups_per_hour: None,
            fresh: true,
        }
    }

    /// A Telegram user of the bot, under the addresses' limits.
    pub fn telegram(user: i64) -> Caller {
        Caller {
            client: Client::Telegram(user),
            links: None,
            lookups_per_hour: None,
            fresh: true,
        }
    }
}
