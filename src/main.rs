//! The `linksmith` binary: serves the app, or imports a catalogue feed.
//!
//!     linksmith                      serve (Leptos.toml, LEPTOS_* and LINKSMITH_* variables)
//!     linksmith import <file.csv>    load a feed into the catalogue (LINKSMITH_DATABASE_URL, else LINKSMITH_DB)
//!     linksmith keys add|list|revoke API keys, in the same store
//!     linksmith inspect <file.html>  what the product page reader reads from a saved page (JSON)

use std::process::ExitCode;

/// jemalloc, not glibc's malloc: a check is many small short-lived blocks on two threads.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const USAGE: &str = "usage: linksmith                    serve the app\n       linksmith import <file.csv>  import a catalogue feed into LINKSMITH_DATABASE_URL, else LINKSMITH_DB (default data/linksmith.db)\n       linksmith keys add <name> [--links-per-second N] [--burst N] [--lookups-per-hour N]\n       linksmith keys list\n       linksmith keys revoke <name>   API keys, in the same store\n       linksmith inspect <file.html>  print, as JSON, what the product page reader reads from a saved page";

fn main() -> ExitCode {
    linksmith::server::init_tracing();
    match linksmith::server::runtime() {
        Ok(runtime) => runtime.block_on(run()),
        Err(err) => {
            eprintln!("linksmith: cannot start the async runtime: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => match linksmith::server::run_from_env().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                // Start-up errors are for the operator: one clear sentence, non-zero exit.
                tracing::error!("{err}");
                eprintln!("linksmith: {err}");
                ExitCode::FAILURE
            }
        },
        ["import", file] => linksmith::server::import_cli(file).await,
        ["keys", rest @ ..] => linksmith::server::auth::keys_cli(rest).await,
        ["inspect", file] => linksmith::server::sources::page_reader::inspect_cli(file),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
