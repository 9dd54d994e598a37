//! `dargah.testing`'s sandbox: the `dargah-sandbox` crate (what `dargah
//! sandbox` serves) running inside this process on a free loopback port.
//!
//! Only built with the `testkit` feature (on by default). Nothing here runs
//! until `dargah.testing.sandbox()` makes a `Sandbox`: importing `dargah`
//! never touches it. Tests drive it through its `/_control` HTTP API, exactly
//! as they would drive `dargah sandbox`.

use std::sync::Mutex;
use std::time::Duration;

use dargah_sandbox::SandboxConfig;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

#[pyclass(frozen, module = "dargah._native", name = "Sandbox")]
pub(crate) struct Sandbox {
    /// `None` once stopped.
    running: Mutex<Option<dargah_sandbox::Sandbox>>,
    base_url: String,
}

#[pymethods]
impl Sandbox {
    /// Starts the sandbox on its own thread and runtime; returns once it listens.
    #[new]
    fn new(py: Python<'_>, refund_window_secs: u64, rate_limits: bool) -> PyResult<Self> {
        let config = SandboxConfig { refund_window: Duration::from_secs(refund_window_secs), rate_limits, ..SandboxConfig::default() };
        // Binding and spawning the server thread: never with the GIL held.
        let sandbox = py.detach(|| dargah_sandbox::Sandbox::start(config)).map_err(|e| PyRuntimeError::new_err(format!("the sandbox did not start: {e}")))?;
        Ok(Sandbox { base_url: sandbox.base_url(), running: Mutex::new(Some(sandbox)) })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    #[getter]
    fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client configuration (JSON) for every gateway of this sandbox, on
    /// `store`; with `second_account`, the sandbox's second merchant account
    /// is under every gateway by that name.
    #[pyo3(signature = (store, second_account=None))]
    fn client_config(&self, store: &str, second_account: Option<&str>) -> String {
        match second_account {
            Some(account) => dargah_sandbox::client_config_with_accounts(&self.base_url, store, account).to_string(),
            None => dargah_sandbox::client_config(&self.base_url, store).to_string(),
        }
    }

    /// The control-API counter of `gateway`'s verify call.
    #[staticmethod]
    fn verify_endpoint(gateway: &str) -> Option<&'static str> {
        dargah_sandbox::verify_endpoint(gateway)
    }

    /// Stops serving and joins the server thread. Safe to call twice.
    fn stop(&self, py: Python<'_>) {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner()).take();
        py.detach(move || drop(running));
    }

    fn is_running(&self) -> bool {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }
}
