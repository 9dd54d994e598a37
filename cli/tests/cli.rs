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
