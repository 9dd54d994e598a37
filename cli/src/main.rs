//! `dargah`: the demo, the sandbox, and a look into a payment store.

mod browser;
mod demo;
mod payments;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "dargah", version, about = "Iranian payment gateways with verify-once callback handling")]
struct Cli {
    /// Print the audit trail on stderr: -v gateway calls and state changes,
    /// -vv claims too (nothing secret is ever in it).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every payment flow against a sandbox started in this process, on a
    /// temporary SQLite store, and show that each payment is credited exactly once.
    Demo,
    /// Serve the five sandbox gateways (payment pages included) until stopped.
    Sandbox {
        #[arg(long, default_value_t = 8700)]
        port: u16,
        /// Address to listen on; keep it on loopback.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Seconds after payment until an unverified payment is refunded.
        #[arg(long, default_value_t = 900)]
        refund_window_secs: u64,
    },
    /// Look at the payments in a store.
    Payments {
        #[command(subcommand)]
        command: payments::PaymentsCommand,
    },
    /// Verify payments whose customer never came back, before their refund
    /// deadline; safe from cron on several hosts at once.
    Reconcile {
        /// The client configuration (JSON or TOML).
        #[arg(long)]
        config: std::path::PathBuf,
        /// Leave a payment alone this long after creation or its last check.
        #[arg(long, default_value_t = 120)]
        min_age_secs: u64,
        /// At most this many payments per pass.
        #[arg(long, default_value_t = 200)]
        limit: usize,
        /// Run a pass every SECS seconds until stopped.
        #[arg(long, value_name = "SECS")]
        watch: Option<u64>,
    },
    /// Create or upgrade the store's tables (also done automatically on first use).
    Migrate {
        #[command(flatten)]
        source: payments::Source,
    },
    /// Run one operation of the library's `call()` (balances, settlements,
    /// refunds, reports, …) and print its JSON answer.
    Call {
        /// The client configuration (JSON or TOML).
        #[arg(long)]
        config: std::path::PathBuf,
        /// The merchant account whose credentials the gateway calls use
        /// (`[GATEWAY.accounts.NAME]`); the gateway's own table when absent.
        #[arg(long)]
        account: Option<String>,
        /// e.g. vandar.balance, vandar.refund, mupra.transactions, payments.list
        operation: String,
        /// The operation's parameters as a JSON object.
        #[arg(default_value = "{}")]
        params: String,
    },
    /// List the merchant accounts the configuration names, per gateway.
    Accounts {
        /// The client configuration (JSON or TOML).
        #[arg(long)]
        config: std::path::PathBuf,
    },
    /// Check a configuration file, or print the reference of every key
    /// (installed as /usr/share/doc/dargah/configuration.md).
    #[command(after_long_help = "Every key, its type, default and whether it is a secret: `dargah config reference`, \
or /usr/share/doc/dargah/configuration.md from the dargah package.")]
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Resolve payments left in doubt or under an expired lease (a crash mid-verify).
    Recover {
        /// The client configuration (JSON or TOML).
        #[arg(long)]
        config: std::path::PathBuf,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load a configuration file (JSON, or TOML when it ends in .toml) as the
    /// library would, without opening the store: "ok", or what is wrong,
    /// naming the key and never the value.
    Check { file: std::path::PathBuf },
    /// Print the configuration reference (docs/configuration.md of this version).
    Reference,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    log_to_stderr(cli.verbose);
    let result = match cli.command {
        Command::Demo => demo::run(),
        Command::Sandbox { port, host, refund_window_secs } => run_sandbox(&host, port, refund_window_secs),
        Command::Payments { command } => payments::run(command),
        Command::Recover { config, limit } => payments::recover(&config, limit),
        Command::Migrate { source } => payments::migrate(&source),
        Command::Call { config, account, operation, params } => payments::call(&config, account.as_deref(), &operation, &params),
        Command::Accounts { config } => payments::accounts(&config),
        Command::Config { command: ConfigCommand::Check { file } } => payments::check_config(&file),
        Command::Config { command: ConfigCommand::Reference } => {
            print!("{}", include_str!("../../docs/configuration.md"));
            Ok(ExitCode::SUCCESS)
        }
        Command::Reconcile { config, min_age_secs, limit, watch } => payments::reconcile(&config, min_age_secs, limit, watch),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dargah: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The core's audit events (targets `dargah`, `dargah::<gateway>`) on stderr.
fn log_to_stderr(verbose: u8) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let level = match verbose {
        0 => return,
        1 => tracing_subscriber::filter::LevelFilter::INFO,
        _ => tracing_subscriber::filter::LevelFilter::DEBUG,
    };
    let only_dargah = tracing_subscriber::filter::Targets::new().with_target("dargah", level);
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false).with_filter(only_dargah);
    let _ = tracing_subscriber::util::SubscriberInitExt::try_init(tracing_subscriber::registry().with(layer));
}

fn run_sandbox(host: &str, port: u16, refund_window_secs: u64) -> Result<ExitCode, String> {
    let addr: std::net::SocketAddr = format!("{host}:{port}").parse().map_err(|e| format!("bad address {host}:{port}: {e}"))?;
    let config = dargah_sandbox::SandboxConfig { refund_window: std::time::Duration::from_secs(refund_window_secs), ..Default::default() };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        eprintln!("dargah sandbox listening on {base}  (Ctrl-C to stop)");
        eprintln!("client configuration for it:\n{}", serde_json::to_string_pretty(&demo::sandbox_client_config(&base, dargah_sandbox::SANDBOX_STORE)).unwrap_or_default());
        dargah_sandbox::serve(listener, config).await.map_err(|e| e.to_string())
    })?;
    Ok(ExitCode::SUCCESS)
}
