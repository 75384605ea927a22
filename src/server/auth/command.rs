//! `linksmith keys add|list|revoke`: API keys from the command line.

use super::*;

// ---------------------------------------------------------------------------------------------
// linksmith keys add|list|revoke

pub(super) const KEYS_USAGE: &str = "usage: linksmith keys add <name> [--links-per-second N] [--burst N] [--lookups-per-hour N]
       linksmith keys list
       linksmith keys revoke <name>
A limit left out is the server's (LINKSMITH_API_RATE, LINKSMITH_API_BURST, LINKSMITH_LOOKUPS_PER_HOUR).
The store is LINKSMITH_DATABASE_URL, else LINKSMITH_DB (default data/linksmith.db).";

/// The largest limit a key may be given.
pub(super) const MAX_LIMIT: u32 = 1_000_000;

/// A `linksmith keys` command, read from its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysCommand {
    Add { name: String, limits: KeyLimits },
    List,
    Revoke { name: String },
}

/// A key's name: 1 to 64 letters, digits, `-`, `_` or `.`.
pub(super) fn key_name(text: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "\"{}\" is not a key name: use 1 to 64 letters, digits, \"-\", \"_\" or \".\" (as partner-shop)",
            crate::server::store::printable(text)
        ))
    }
}

/// Reads `linksmith keys …`'s arguments (after `keys`); the error is one sentence.
pub fn parse_keys_args(args: &[&str]) -> Result<KeysCommand, String> {
    match args {
        ["list"] => Ok(KeysCommand::List),
        ["revoke", name] => Ok(KeysCommand::Revoke {
            name: key_name(name)?,
        }),
        ["revoke", ..] => Err("keys revoke takes one key name".into()),
        ["add", rest @ ..] => {
            let mut name = None;
            let mut limits = KeyLimits::default();
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                if let Some(option) = arg.strip_prefix("--") {
                    let (option, inline) = match option.split_once('=') {
                        Some((o, v)) => (o, Some(v)),
                        None => (option, None),
                    };
                    let slot = match option {
                        "links-per-second" => &mut limits.links_per_second,
                        "burst" => &mut limits.burst,
                        "lookups-per-hour" => &mut limits.lookups_per_hour,
                        _ => {
                            return Err(format!(
                                "unknown option --{}: the options are --links-per-second, --burst and --lookups-per-hour",
                                crate::server::store::printable(option)
                            ))
                        }
                    };
                    let Some(value) = inline.or_else(|| rest.next().copied()) else {
                        return Err(format!("--{option} needs a number"));
                    };
                    if slot.is_some() {
                        return Err(format!("--{option} is given twice"));
                    }
                    let n = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            format!(
                                "--{option} \"{}\" is not a whole number from 1 to {MAX_LIMIT}",
                                crate::server::store::printable(value)
                            )
                        })?;
                    *slot = Some(n);
                } else if name.is_some() {
                    return Err(format!(
                        "keys add takes one key name; \"{}\" is one too many",
                        crate::server::store::printable(arg)
                    ));
                } else {
                    name = Some(key_name(arg)?);
                }
            }
            let name = name.ok_or("keys add needs a key name (as partner-shop)")?;
            Ok(KeysCommand::Add { name, limits })
        }
        [] => Err("keys needs a command: add, list or revoke".into()),
        [other, ..] => Err(format!(
            "unknown keys command \"{}\": the commands are add, list and revoke",
            crate::server::store::printable(other)
        )),
    }
}

/// A limit as `keys list` shows it.
pub(super) fn shown(limit: Option<u32>) -> String {
    limit.map_or_else(|| "server".to_string(), |n| n.to_string())
}

/// A key's limits in words, as `keys add` confirms them.
pub(super) fn limits_phrase(limits: KeyLimits) -> String {
    let own: Vec<String> = [
        limits
            .links_per_second
            .map(|n| format!("{n} links a second")),
        limits.burst.map(|n| format!("{n} links at once")),
        limits
            .lookups_per_hour
            .map(|n| format!("{n} fresh look-ups an hour")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if own.is_empty() {
        "the server's limits".to_string()
    } else if own.len() == 3 {
        format!("its own limits: {}", own.join(", "))
    } else {
        format!(
            "its own limits: {}; the server's for the rest",
            own.join(", ")
        )
    }
}

/// The keys as a table, with what each used on `day`.
pub fn keys_table(keys: &[KeyListing], day: i64) -> String {
    use crate::domain::date::{Date, Timestamp};
    use std::fmt::Write as _;
    let mut out = format!(
        "{:<24} {:>8} {:>8} {:>10}  {:<20}  {:<20}  {:>11} {:>14}  {}\n",
        "NAME",
        "LINKS/S",
        "BURST",
        "LOOKUPS/H",
        "CREATED",
        "LAST USED",
        "LINKS TODAY",
        "LOOKUPS TODAY",
        "STATE"
    );
    for k in keys {
        let last = k
            .last_used_at
            .map_or_else(|| "never".to_string(), |t| Timestamp(t).to_string());
        let state = k.revoked_at.map_or_else(
            || "active".to_string(),
            |t| format!("revoked {}", Timestamp(t)),
        );
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>8} {:>10}  {:<20}  {:<20}  {:>11} {:>14}  {state}",
            k.name,
            shown(k.limits.links_per_second),
            shown(k.limits.burst),
            shown(k.limits.lookups_per_hour),
            Timestamp(k.created_at).to_string(),
            last,
            k.links,
            k.lookups,
        );
    }
    let _ = write!(
        out,
        "Today is {} (UTC). \"server\": the server's limit. Running servers write their usage every {} s.",
        Date::from_unix_days(day),
        FLUSH_EVERY.as_secs()
    );
    out
}

/// `linksmith keys add|list|revoke` on the store the configuration names (PostgreSQL at
/// `LINKSMITH_DATABASE_URL`, else the SQLite file at `LINKSMITH_DB`). Bad arguments: a sentence
/// and exit 2; a name in use or a store that fails: a sentence and exit 1.
pub async fn keys_cli(args: &[&str]) -> ExitCode {
    let command = match parse_keys_args(args) {
        Ok(c) => c,
        Err(problem) => {
            eprintln!("linksmith keys: {problem}.\n{KEYS_USAGE}");
            return ExitCode::from(2);
        }
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let path = crate::server::config::db_path(env);
    let url = env("LINKSMITH_DATABASE_URL");
    let store = match crate::server::store::open(
        url.as_deref(),
        crate::server::store::postgres::PoolSettings::default(),
        &path,
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("linksmith keys: {e}");
            return ExitCode::FAILURE;
        }
    };
    let place = match store.backend() {
        "sqlite" => path.display().to_string(),
        _ => store.describe(),
    };
    // A command run by the operator: the system's clock.
    let now = Clock::system().unix();
    let failed = |e: StoreError| {
        eprintln!("linksmith keys: {e}.");
        ExitCode::FAILURE
    };
    match command {
        KeysCommand::Add { name, limits } => {
            let key = match new_key() {
                Ok(k) => k,
                Err(e) => {
                    eprintln!("linksmith keys: the system's random generator failed ({e}); no key was made.");
                    return ExitCode::FAILURE;
                }
            };
            let new = NewKey {
                name: name.clone(),
                hash: hash_key(&key),
                limits,
                created_at: now,
            };
            if let Err(e) = store.add_key(&new).await {
                return failed(e);
            }
            // The key alone on stdout (for scripts); what to do with it on stderr.
            println!("{key}");
            eprintln!(
                "Added the key \"{name}\" to {place} ({}). Keep it now: it is shown only this once, \
                 and the store keeps only its hash. Send it as \"Authorization: Bearer <key>\".",
                limits_phrase(limits)
            );
            ExitCode::SUCCESS
        }
        KeysCommand::List => {
            let day = now.div_euclid(86_400);
            match store.list_keys(day).await {
                Ok(keys) if keys.is_empty() => {
                    println!("No API keys in {place}. Add one with: linksmith keys add <name>");
                    ExitCode::SUCCESS
                }
                Ok(keys) => {
                    println!("{}", keys_table(&keys, day));
                    ExitCode::SUCCESS
                }
                Err(e) => failed(e),
            }
        }
        KeysCommand::Revoke { name } => match store.revoke_key(&name, now).await {
            Ok(true) => {
                println!(
                    "Revoked the key \"{name}\" in {place}. Running servers refuse it within {} s (they remember a key that long).",
                    KEY_MEMORY.as_secs()
                );
                ExitCode::SUCCESS
            }
            Ok(false) => {
                eprintln!(
                    "linksmith keys: no key in use is named \"{name}\" in {place} (linksmith keys list shows them)."
                );
                ExitCode::FAILURE
            }
            Err(e) => failed(e),
        },
    }
}
