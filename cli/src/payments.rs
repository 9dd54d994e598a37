//! `dargah payments list|show` and `dargah recover` over a store.

use clap::Subcommand;
use dargah_core::{Config, Dargah, PaymentState, ReconcileOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum PaymentsCommand {
    /// List payments, newest first.
    List {
        #[command(flatten)]
        source: Source,
        /// Only this state (awaiting, paid, in_doubt, needs_review, ...).
        #[arg(long)]
        state: Option<String>,
        /// Only payments of this merchant account (`default` or a name from `GATEWAY.accounts`).
        #[arg(long)]
        account: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one payment and the raw gateway answers stored with it.
    Show {
        #[command(flatten)]
        source: Source,
        id: String,
    },
}

#[derive(clap::Args)]
pub struct Source {
    /// The client configuration (JSON or TOML); its `store` is read.
    #[arg(long, conflicts_with = "store")]
    config: Option<PathBuf>,
    /// A store URL: sqlite:///var/lib/shop/dargah.db, postgres://user:pw@host/db, mysql://user:pw@host/db
    #[arg(long)]
    store: Option<String>,
    /// Table name prefix (with --store), for a database shared with the shop.
    #[arg(long, default_value = "", requires = "store")]
    table_prefix: String,
}

pub fn load_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed = if path.extension().is_some_and(|e| e == "toml") { Config::from_toml(&text) } else { Config::from_json(&text) };
    parsed.map_err(|e| e.to_string())
}

fn open(source: &Source) -> Result<Dargah, String> {
    let config = match (&source.config, &source.store) {
        (Some(path), _) => load_config(path)?,
        (None, Some(store)) => Config { store: store.clone().into(), table_prefix: source.table_prefix.clone(), ..Config::default() },
        (None, None) => return Err("give --config FILE or --store URL".into()),
    };
    Dargah::new(config).map_err(|e| e.to_string())
}

fn when(ms: Option<i64>) -> String {
    ms.map(|m| format!("{}s", m / 1000)).unwrap_or_else(|| "-".into())
}

pub fn run(command: PaymentsCommand) -> Result<ExitCode, String> {
    match command {
        PaymentsCommand::List { source, state, account, limit, json } => {
            let dargah = open(&source)?;
            let state = state.map(|s| PaymentState::parse(&s).map_err(|_| format!("unknown state {s:?}"))).transpose()?;
            if let Some(account) = &account {
                dargah_core::config::account_name(account).map_err(|e| e.to_string())?;
            }
            let mut payments = dargah.list_payments(state, limit, 0).map_err(|e| e.to_string())?;
            payments.retain(|p| account.as_deref().is_none_or(|a| p.account == a));
            if json {
                for p in &payments {
                    println!("{}", serde_json::to_string(p).map_err(|e| e.to_string())?);
                }
            } else {
                println!("{:<26} {:<7} {:<12} {:<20} {:>12} {:<12} {:<14} {:<5}", "id", "gateway", "account", "invoice", "amount", "state", "reference", "acked");
                for p in &payments {
                    println!(
                        "{:<26} {:<7} {:<12} {:<20} {:>12} {:<12} {:<14} {:<5}",
                        p.id,
                        p.gateway.name(),
                        p.account,
                        p.invoice_id,
                        p.amount,
                        p.state.name(),
                        p.reference.as_deref().unwrap_or("-"),
                        if p.acknowledged_at.is_some() { "yes" } else { "no" }
                    );
                }
                eprintln!("{} payment(s)", payments.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        PaymentsCommand::Show { source, id } => {
            let dargah = open(&source)?;
            let p = dargah.payment(&id).map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string_pretty(&p).map_err(|e| e.to_string())?);
            println!("created {}  deadline {}  paid {}", when(Some(p.created_at)), when(Some(p.deadline_at)), when(p.paid_at));
            // The history, redacted (card data masked, answers cut to what a dispute needs).
            for event in dargah.events(&id).map_err(|e| e.to_string())? {
                println!("event at {} fence {} -> {}: {}", when(Some(event.at)), event.fence, event.label, event.raw);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `dargah call [--account NAME] OPERATION [PARAMS]`: the answer as JSON on stdout.
pub fn call(config: &Path, account: Option<&str>, operation: &str, params: &str) -> Result<ExitCode, String> {
    let dargah = Dargah::new(load_config(config)?).map_err(|e| e.to_string())?;
    let params: serde_json::Value = serde_json::from_str(params).map_err(|_| "PARAMS must be a JSON object".to_string())?;
    let dargah = match account {
        Some(account) => dargah.with_account(account).map_err(|e| e.to_string())?,
        None => dargah,
    };
    let answer = dargah.call(operation, &params).map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&answer).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}

/// `dargah accounts`: every configured merchant account, one line per gateway.
pub fn accounts(config: &Path) -> Result<ExitCode, String> {
    let config = load_config(config)?;
    for gateway in dargah_core::config::ACCOUNT_SECTIONS {
        let names = config.account_names(gateway);
        if !names.is_empty() {
            println!("{gateway:<7} {}", names.join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `dargah config check FILE`: the configuration as a client would load it, the store left closed.
pub fn check_config(path: &Path) -> Result<ExitCode, String> {
    let config = load_config(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let gateways: Vec<&str> = dargah_core::config::ACCOUNT_SECTIONS.into_iter().filter(|g| !config.account_names(g).is_empty()).collect();
    println!("{}: ok (gateways: {})", path.display(), if gateways.is_empty() { "none".to_string() } else { gateways.join(", ") });
    Ok(ExitCode::SUCCESS)
}

pub fn recover(config: &Path, limit: usize) -> Result<ExitCode, String> {
    let dargah = Dargah::new(load_config(config)?).map_err(|e| e.to_string())?;
    let report = dargah.recover(limit).map_err(|e| e.to_string())?;
    for o in &report.outcomes {
        println!("{} {} -> {}", o.payment.id, o.payment.gateway, o.kind.name());
    }
    for (id, e) in &report.errors {
        eprintln!("{id}: still in doubt: {e}");
    }
    println!("recovered {} payment(s), {} still in doubt", report.outcomes.len(), report.errors.len());
    Ok(if report.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn reconcile(config: &Path, min_age_secs: u64, limit: usize, watch: Option<u64>) -> Result<ExitCode, String> {
    let dargah = Dargah::new(load_config(config)?).map_err(|e| e.to_string())?;
    let options = ReconcileOptions { min_age: std::time::Duration::from_secs(min_age_secs), limit };
    loop {
        let report = dargah
            .reconcile(&options, |o| println!("{} {} {} -> {}", o.payment.id, o.payment.gateway, o.payment.invoice_id, o.kind.name()))
            .map_err(|e| e.to_string())?;
        println!("reconcile: {}", report.summary());
        match watch {
            Some(secs) => std::thread::sleep(std::time::Duration::from_secs(secs.max(1))),
            None => return Ok(ExitCode::SUCCESS),
        }
    }
}

pub fn migrate(source: &Source) -> Result<ExitCode, String> {
    let dargah = open(source)?;
    let version = dargah.store().schema_version().map_err(|e| e.to_string())?;
    println!("store schema is at version {version}");
    Ok(ExitCode::SUCCESS)
}
