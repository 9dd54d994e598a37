//! The `dargah` command end to end: reconcile, recover and payments over a
//! real store, against the bundled sandbox.

use dargah_core::{Dargah, Gateway, PaymentRequest};
use dargah_sandbox::{Sandbox, SandboxConfig};
use std::process::Command;

fn dargah(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dargah")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn reconcile_list_show_and_recover() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/shop.db", dir.path().display());
    let config_path = dir.path().join("dargah.json");
    let config = dargah_sandbox::client_config(&sandbox.base_url(), &store).to_string();
    std::fs::write(&config_path, &config).unwrap();
    let config_arg = config_path.to_str().unwrap();

    let shop = Dargah::from_json(&config).unwrap();
    let p = shop.create_payment(Gateway::Vandar, PaymentRequest::new("cli-1", 20_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    // The customer pays and closes the tab: no callback ever comes.
    reqwest::blocking::Client::new()
        .post(format!("{}/_control/pay", sandbox.base_url()))
        .json(&serde_json::json!({"gateway": "vandar", "token": p.token, "action": "pay", "card": "6037991234567890"}))
        .send()
        .unwrap()
        .error_for_status()
        .unwrap();

    let (ok, out, err) = dargah(&["reconcile", "--config", config_arg, "--min-age-secs", "0"]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{} vandar cli-1 -> newly_paid", p.id)), "{out}");
    assert!(out.contains("reconcile: resolved paid 1 / failed 0"), "{out}");

    let (ok, out, _) = dargah(&["payments", "list", "--store", &store, "--state", "paid"]);
    assert!(ok);
    assert!(out.contains(&p.id) && out.contains("cli-1"), "{out}");
    let (ok, out, _) = dargah(&["payments", "list", "--store", &store, "--json"]);
    assert!(ok);
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["state"], "paid");
    let (ok, out, _) = dargah(&["payments", "show", "--store", &store, &p.id]);
    assert!(ok);
    assert!(out.contains("\"transaction\""), "the raw gateway answers are shown: {out}");

    let (ok, out, _) = dargah(&["migrate", "--store", &store]);
    assert!(ok && out.contains(&format!("version {}", dargah_core::store::sql::SCHEMA_VERSION)), "{out}");
    let (ok, out, _) = dargah(&["recover", "--config", config_arg]);
    assert!(ok);
    assert!(out.contains("recovered 0 payment(s), 0 still in doubt"), "{out}");

    let (ok, _, err) = dargah(&["payments", "list", "--store", &store, "--state", "bogus"]);
    assert!(!ok);
    assert!(err.contains("unknown state"), "{err}");
    let (ok, _, err) = dargah(&["payments", "list"]);
    assert!(!ok && err.contains("--config"), "{err}");
    let (ok, out, _) = dargah(&["--help"]);
    assert!(ok && out.contains("reconcile") && out.contains("sandbox") && out.contains("demo"));
}

/// The owner's review queue from the command line: an AtiPay payment whose
/// customer never came back ends `needs_review` at its deadline, and
/// `payments list --state needs_review` lists it (and only it), with its reason.
#[test]
fn payments_list_shows_the_review_queue() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/shop.db", dir.path().display());
    let config_path = dir.path().join("dargah.json");
    let mut config = dargah_sandbox::client_config(&sandbox.base_url(), &store);
    config["atipay"]["refund_window_secs"] = serde_json::json!(1);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let config_arg = config_path.to_str().unwrap();

    let shop = Dargah::from_json(&config.to_string()).unwrap();
    let review = shop.create_payment(Gateway::AtiPay, PaymentRequest::new("cli-review", 20_000, "http://127.0.0.1:9/cb").mobile("09123456789")).unwrap().payment;
    let waiting = shop.create_payment(Gateway::Mupra, PaymentRequest::new("cli-waiting", 20_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    // AtiPay cannot verify without its callback's referenceNumber: paid, tab closed.
    reqwest::blocking::Client::new()
        .post(format!("{}/_control/pay", sandbox.base_url()))
        .json(&serde_json::json!({"gateway": "atipay", "token": review.token, "action": "pay", "card": "6037991234567890"}))
        .send()
        .unwrap()
        .error_for_status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1200));
    let (ok, out, err) = dargah(&["reconcile", "--config", config_arg, "--min-age-secs", "0"]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("{} atipay cli-review -> needs_review", review.id)), "{out}");

    let (ok, out, err) = dargah(&["payments", "list", "--config", config_arg, "--state", "needs_review"]);
    assert!(ok, "{err}");
    assert!(out.contains(&review.id) && out.contains("needs_review"), "{out}");
    assert!(!out.contains(&waiting.id), "only the payments that need review: {out}");
    let (ok, out, _) = dargah(&["payments", "list", "--store", &store, "--state", "needs_review", "--json"]);
    assert!(ok);
    let rows: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!((rows[0]["id"].as_str(), rows[0]["state"].as_str()), (Some(review.id.as_str()), Some("needs_review")));
    assert!(rows[0]["note"].as_str().is_some_and(|note| !note.is_empty()), "the reason: {out}");
}

/// `-v` / `-vv` print the audit trail on stderr; with every credential a
/// canary (the sandbox's own, then wrong ones, a store password, proxy
/// credentials), no command's stdout or stderr shows one.
#[test]
fn verbose_output_shows_the_audit_trail_and_no_secret() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/shop.db", dir.path().display());
    let mut config = dargah_sandbox::client_config(&sandbox.base_url(), &store);
    let shop = Dargah::from_json(&config.to_string()).unwrap();
    let p = shop.create_payment(Gateway::CanPay, PaymentRequest::new("cli-v", 20_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    reqwest::blocking::Client::new()
        .post(format!("{}/_control/pay", sandbox.base_url()))
        .json(&serde_json::json!({"gateway": "canpay", "token": p.token, "action": "pay", "card": "6037991234567890"}))
        .send()
        .unwrap();
    let mut secrets: Vec<String> = Vec::new();
    for (section, key) in [("mupra", "api_key"), ("canpay", "merchant"), ("atipay", "apiKey"), ("vandar", "api_key"), ("vandar", "access_token"), ("vandar", "refresh_token"), ("sepal", "password"), ("sepal", "api_key")] {
        secrets.push(config[section][key].as_str().unwrap().to_string());
    }
    let path = dir.path().join("dargah.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let mut outputs = Vec::new();
    let (ok, out, err) = dargah(&["-v", "reconcile", "--config", path.to_str().unwrap(), "--min-age-secs", "0"]);
    assert!(ok, "{err}");
    assert!(err.contains("gateway_call") && err.contains("operation=\"POST /canpay/api/ipg/verify\"") && err.contains("state_change"), "{err}");
    assert!(!err.contains("claim"), "claims are -vv: {err}");
    outputs.push(out + &err);
    let (ok, out, err) = dargah(&["-vv", "payments", "show", "--config", path.to_str().unwrap(), &p.id]);
    assert!(ok && out.contains("603799******7890") && out.contains("event at"), "{out}");
    outputs.push(out + &err);
    let (ok, out, err) = dargah(&["-vv", "recover", "--config", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    outputs.push(out + &err);

    // Wrong keys, a store password, proxy credentials.
    for (n, (section, key)) in [("mupra", "api_key"), ("canpay", "merchant"), ("vandar", "api_key"), ("sepal", "password")].into_iter().enumerate() {
        let canary = format!("CANARY-{section}-{n}-c0ffee");
        config[section][key] = serde_json::json!(canary);
        secrets.push(canary);
    }
    config["http"] = serde_json::json!({"proxy": "http://u:CANARY-proxy-password-beef@127.0.0.1:9"});
    secrets.push("CANARY-proxy-password-beef".into());
    std::fs::write(&path, config.to_string()).unwrap();
    let p2 = shop.create_payment(Gateway::Mupra, PaymentRequest::new("cli-v2", 20_000, "http://127.0.0.1:9/cb")).unwrap().payment;
    let _ = p2;
    for args in [vec!["-vv", "reconcile", "--config", path.to_str().unwrap(), "--min-age-secs", "0"], vec!["-vv", "recover", "--config", path.to_str().unwrap()]] {
        let (_, out, err) = dargah(&args);
        outputs.push(out + &err);
    }
    config["store"] = serde_json::json!("postgres://shop:CANARY-store-password-f00d@127.0.0.1:9/shop");
    secrets.push("CANARY-store-password-f00d".into());
    std::fs::write(&path, config.to_string()).unwrap();
    for args in [vec!["-vv", "recover", "--config", path.to_str().unwrap()], vec!["-vv", "payments", "list", "--store", "mysql://shop:CANARY-store-password-f00d@127.0.0.1:9/shop"]] {
        let (ok, out, err) = dargah(&args);
        assert!(!ok && err.contains("store"), "{err}");
        outputs.push(out + &err);
    }
    let everything = outputs.join("\n");
    let shown: Vec<&String> = secrets.iter().filter(|s| everything.contains(s.as_str())).collect();
    assert!(shown.is_empty(), "shown: {shown:?}\n{everything}");
}

#[test]
fn accounts_call_with_an_account_and_list_by_account() {
    let sandbox = Sandbox::start(SandboxConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("sqlite://{}/shop.db", dir.path().display());
    let config_path = dir.path().join("dargah.json");
    let config = dargah_sandbox::client_config_with_accounts(&sandbox.base_url(), &store, "branch2").to_string();
    std::fs::write(&config_path, &config).unwrap();
    let config_arg = config_path.to_str().unwrap();

    let (ok, out, err) = dargah(&["accounts", "--config", config_arg]);
    assert!(ok, "{err}");
    assert!(out.contains("vandar  default branch2"), "{out}");

    // The business API of the second account: its own business and token.
    let (ok, out, err) = dargah(&["call", "--config", config_arg, "--account", "branch2", "vandar.balance"]);
    assert!(ok, "{err}");
    assert!(out.contains("\"wallet\""), "{out}");
    let stats: serde_json::Value = reqwest::blocking::get(format!("{}/_control/stats", sandbox.base_url())).unwrap().json().unwrap();
    assert_eq!(stats["by_credential"][dargah_sandbox::creds2::VANDAR_BUSINESS]["vandar.business"], 1, "{stats}");
    let (ok, _, err) = dargah(&["call", "--config", config_arg, "--account", "nosuch", "vandar.balance"]);
    assert!(!ok && !err.contains("nosuch"), "{err}");

    let shop = Dargah::from_json(&config).unwrap();
    let b = shop.create_payment(Gateway::CanPay, PaymentRequest::new("cli-acc-1", 20_000, "http://127.0.0.1:9/cb").account("branch2")).unwrap().payment;
    shop.create_payment(Gateway::CanPay, PaymentRequest::new("cli-acc-2", 20_000, "http://127.0.0.1:9/cb")).unwrap();
    let (ok, out, err) = dargah(&["payments", "list", "--store", &store, "--account", "branch2"]);
    assert!(ok, "{err}");
    assert!(out.contains(&b.id) && out.contains("branch2") && !out.contains("cli-acc-2"), "{out}");
}

#[test]
fn config_check_names_the_key_never_the_value_and_reference_prints_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "store = \"sqlite:///var/lib/shop/dargah.db\"\n[canpay]\nmerchant = \"m\"\n[vandar]\napi_key = \"k\"\n").unwrap();
    let (ok, out, _) = dargah(&["config", "check", good.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(out, format!("{}: ok (gateways: canpay, vandar)\n", good.display()));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"vandar":{"api_key":false},"canpay":{"merchant":"SECRET-MERCHANT"}}"#).unwrap();
    let (ok, out, err) = dargah(&["config", "check", bad.to_str().unwrap()]);
    assert!(!ok && out.is_empty());
    assert!(err.contains("vandar.api_key: invalid type: boolean (value hidden), expected a string"), "{err}");
    assert!(!err.contains("SECRET"), "{err}");
    let (ok, out, _) = dargah(&["config", "reference"]);
    assert!(ok && out.starts_with("# Configuration reference") && out.contains("`token_encryption_key`"), "{out}");
}
