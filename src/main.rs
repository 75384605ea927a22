//! The `linksmith` server binary.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    linksmith::server::init_tracing();
    match linksmith::server::run_from_env().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Start-up errors are for the operator: one clear sentence, non-zero exit.
            tracing::error!("{err}");
            eprintln!("linksmith: {err}");
            ExitCode::FAILURE
        }
    }
}
