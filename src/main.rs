use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    crm::cli::run().await
}
