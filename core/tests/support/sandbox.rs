//! Driving the bundled sandbox from tests: its control API pays a payment as
//! the payment page would and hands back the callback the browser would make.

use dargah_core::{CallbackFields, Dargah, Gateway};
use dargah_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

pub struct World {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
    pub http: reqwest::blocking::Client,
}

impl World {
    pub fn start() -> World {
        Self::start_with(SandboxConfig::default())
    }

    pub fn start_with(config: SandboxConfig) -> World {
        let sandbox = Sandbox::start(config).expect("sandbox starts");
        World { sandbox, dir: tempfile::tempdir().unwrap(), http: reqwest::blocking::Client::new() }
    }

    /// A client whose payments close `refund_window_secs` after creation.
    pub fn client_with_window(&self, refund_window_secs: u64) -> Dargah {
        let mut config: Value = serde_json::from_str(&self.config(60)).unwrap();
        for gateway in ["mupra", "canpay", "atipay", "vandar"] {
            config[gateway]["refund_window_secs"] = json!(refund_window_secs);
        }
        Dargah::from_json(&config.to_string()).unwrap()
    }

    /// The sandbox's own view of a payment.
    pub fn sandbox_payment(&self, gateway: Gateway, token: &str) -> Value {
        self.http.get(format!("{}/_control/payments/{}/{token}", self.sandbox.base_url(), gateway.name())).send().unwrap().json().unwrap()
    }

    pub fn db_path(&self) -> String {
        format!("{}/dargah.db", self.dir.path().display())
    }

    /// The config JSON for a client on this world's store and sandbox.
    pub fn config(&self, lease_secs: u64) -> String {
        config_json(&self.sandbox.base_url(), &self.db_path(), lease_secs)
    }

    pub fn client(&self) -> Dargah {
        Dargah::from_json(&self.config(60)).unwrap()
    }

    /// Press Pay (or Cancel) on the sandbox's page; returns the callback fields the browser would deliver.
    pub fn pay(&self, gateway: Gateway, token: &str, pay: bool) -> CallbackFields {
        let answer: Value = self
            .http
            .post(format!("{}/_control/pay", self.sandbox.base_url()))
            .json(&json!({"gateway": gateway.name(), "token": token, "action": if pay { "pay" } else { "cancel" }, "card": "6037991234567890"}))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap();
        callback_fields(&answer)
    }

    pub fn stats(&self) -> Value {
        self.http.get(format!("{}/_control/stats", self.sandbox.base_url())).send().unwrap().json().unwrap()
    }

    /// How often the sandbox saw `endpoint` (e.g. "vandar.verify") for `token`.
    pub fn calls_for(&self, token: &str, endpoint: &str) -> u64 {
        self.stats()["by_token"][token][endpoint].as_u64().unwrap_or(0)
    }

    pub fn calls(&self, endpoint: &str) -> u64 {
        self.stats()["calls"][endpoint].as_u64().unwrap_or(0)
    }

    pub fn fault(&self, spec: Value) {
        self.http.post(format!("{}/_control/faults", self.sandbox.base_url())).json(&spec).send().unwrap().error_for_status().unwrap();
    }

    /// Choose the sandbox's readings of what the documents leave open
    /// (docs/gateway-readings.md): `{"vandar_info_verified": "refused"}` for
    /// the run, or with `"gateway"` and `"token"` for one payment.
    pub fn readings(&self, readings: Value) {
        self.http.post(format!("{}/_control/readings", self.sandbox.base_url())).json(&readings).send().unwrap().error_for_status().unwrap();
    }

    pub fn clear_faults(&self) {
        self.http.delete(format!("{}/_control/faults", self.sandbox.base_url())).send().unwrap().error_for_status().unwrap();
    }
}

pub fn config_json(base: &str, db: &str, lease_secs: u64) -> String {
    let mut config = dargah_sandbox::client_config(base, &format!("sqlite://{db}"));
    config["lease_secs"] = json!(lease_secs);
    // The lease must outlast two gateway calls; the sandbox answers in well under that.
    config["http"] = json!({"request_timeout_ms": (lease_secs * 1000 / 2 - 100).min(5000)});
    config.to_string()
}

/// The sandbox's description of a callback (`{"method","url","form"}`) as the fields a web server would hand over.
pub fn callback_fields(callback: &Value) -> CallbackFields {
    let url = url::Url::parse(callback["url"].as_str().expect("callback url")).unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let form: Vec<(String, String)> = match callback["form"].as_object() {
        Some(map) => map.iter().map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))).collect(),
        None => Vec::new(),
    };
    CallbackFields::from_pairs(query, form).unwrap()
}

