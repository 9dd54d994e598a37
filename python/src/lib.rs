//! `dargah._native`: the Rust core behind the `dargah` Python package.
//!
//! Deliberately thin and JSON-shaped: values cross as dicts, lists and
//! strings, and the typed, Pythonic API (enums, dataclasses, argument checks,
//! Django's QueryDict) lives in `python/python/dargah`. What belongs here is what only
//! Rust can do right:
//!
//! - every core call runs with the GIL released (`py.detach`), so other Python
//!   threads run while one waits for a gateway or the store's lock;
//! - the core's runtime, HTTP client and store connections are built lazily on
//!   the first call, per process, and that first call is always inside
//!   `detach`: the runtime is never built while this thread holds the GIL;
//! - a core error becomes the matching `dargah.DargahError` subclass.
//!
//! Nothing happens at import: the module registers its classes (the client,
//! and the test kit's sandbox when built with `testkit`) and constants.

use dargah_core::{CallbackFields, Dargah, Error, ErrorKind, Gateway, PaymentRequest, Redirect};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyList};
use serde::Serialize;
use serde_json::Value;

#[cfg(feature = "testkit")]
mod testkit;

/// A configured core client. Frozen (no `&mut self`), so one instance is
/// shared by every Python thread without a lock of ours; the core does its
/// own locking.
#[pyclass(frozen, module = "dargah._native", name = "Client")]
struct Client {
    dargah: Dargah,
}

#[pymethods]
impl Client {
    /// `text` is the configuration as JSON, or as TOML when `toml` is true.
    #[new]
    fn new(py: Python<'_>, text: String, toml: bool) -> PyResult<Self> {
        // Opening the store touches the disk and may wait for its lock.
        let dargah = py.detach(|| if toml { Dargah::from_toml(&text) } else { Dargah::from_json(&text) });
        Ok(Client { dargah: dargah.map_err(|e| to_pyerr(py, e))? })
    }

    /// The configured gateways, for `repr` (the configuration itself holds secrets).
    fn gateways(&self) -> Vec<&'static str> {
        let c = self.dargah.config();
        let configured = [c.mupra.is_some(), c.canpay.is_some(), c.atipay.is_some(), c.vandar.is_some()];
        Gateway::ALL.iter().zip(configured).filter(|(_, on)| *on).map(|(g, _)| g.name()).collect()
    }

    /// `request_json` is a `PaymentRequest` as JSON. Answers
    /// `{"payment": {...}, "redirect": {"method", "url", "fields"?, "html"}}`.
    fn create_payment<'py>(&self, py: Python<'py>, gateway: String, request_json: String) -> PyResult<Bound<'py, PyAny>> {
        let gateway = parse_gateway(py, &gateway)?;
        let request: PaymentRequest = serde_json::from_str(&request_json)
            .map_err(|e| to_pyerr(py, Error::invalid(format!("payment request: {}", dargah_core::redact::hide_values(&e.to_string())))))?;
        let created = self.detached(py, |d| d.create_payment(gateway, request))?;
        let payment = to_py(py, &json(py, &created.payment)?)?;
        let dict = PyDict::new(py);
        dict.set_item("payment", payment)?;
        dict.set_item("redirect", redirect_to_py(py, &created.redirect)?)?;
        Ok(dict.into_any())
    }

    /// The stored redirect of a payment, to send the customer again.
    fn redirect<'py>(&self, py: Python<'py>, payment_id: String) -> PyResult<Bound<'py, PyAny>> {
        let redirect = self.detached(py, |d| d.redirect(&payment_id))?;
        redirect_to_py(py, &redirect)
    }

    /// A callback as already-parsed (key, value) pairs: the query, then the
    /// form. With `account`, it arrived at that merchant account's callback
    /// URL: a payment of another account is refused.
    #[pyo3(signature = (gateway, query, form, account=None))]
    fn handle_callback<'py>(
        &self,
        py: Python<'py>,
        gateway: String,
        query: Vec<(String, String)>,
        form: Vec<(String, String)>,
        account: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let gateway = parse_gateway(py, &gateway)?;
        let fields = CallbackFields::from_pairs(query, form).map_err(|e| to_pyerr(py, e))?;
        self.callback(py, gateway, account.as_deref(), &fields)
    }

    /// A callback as the raw query string and the raw urlencoded body.
    #[pyo3(signature = (gateway, query, body, account=None))]
    fn handle_callback_raw<'py>(&self, py: Python<'py>, gateway: String, query: &[u8], body: &[u8], account: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let gateway = parse_gateway(py, &gateway)?;
        let fields = CallbackFields::from_raw(query, body).map_err(|e| to_pyerr(py, e))?;
        self.callback(py, gateway, account.as_deref(), &fields)
    }

    /// The raw gateway answers stored for a payment, oldest first:
    /// `[{"at": ms, "fence", "state", "raw"}]` (what `dargah payments show` prints).
    fn events<'py>(&self, py: Python<'py>, payment_id: String) -> PyResult<Bound<'py, PyAny>> {
        let events = self.detached(py, |d| d.events(&payment_id))?;
        // "state" (the label) and "raw" as JSON text, as before; the text is redacted.
        let events: Vec<Value> = events
            .into_iter()
            .map(|e| serde_json::json!({"at": e.at, "fence": e.fence, "state": e.label, "raw": e.raw.to_string()}))
            .collect();
        to_py(py, &Value::Array(events))
    }

    /// `handle_callback` on a thread the extension starts, answering by
    /// `done(ok, outcome_or_exception)` (called with the GIL, from that
    /// thread): the "native future" `dargah.aio`'s thread pool was measured
    /// against (python/bench/aio_native_vs_thread.py, figures in docs/python.md).
    /// Kept so the measurement can be repeated; `dargah.aio` does not use it.
    fn handle_callback_native(
        slf: Py<Self>,
        py: Python<'_>,
        gateway: String,
        query: Vec<(String, String)>,
        form: Vec<(String, String)>,
        done: Py<PyAny>,
    ) -> PyResult<()> {
        let gateway = parse_gateway(py, &gateway)?;
        let fields = CallbackFields::from_pairs(query, form).map_err(|e| to_pyerr(py, e))?;
        std::thread::Builder::new()
            .name("dargah-native".into())
            .spawn(move || {
                let outcome = slf.get().dargah.handle_callback(gateway, &fields);
                Python::attach(|py| {
                    let answer = match outcome.and_then(|o| serde_json::to_value(&o).map_err(|e| Error::internal(e.to_string()))) {
                        Ok(value) => to_py(py, &value).map(|v| (true, v)),
                        Err(e) => Ok((false, to_pyerr(py, e).into_value(py).into_bound(py).into_any())),
                    };
                    let called = answer.and_then(|(ok, value)| done.call1(py, (ok, value)));
                    if let Err(e) = called {
                        e.write_unraisable(py, None);
                    }
                });
            })
            .map_err(|e| PyValueError::new_err(format!("cannot start a thread: {e}")))?;
        Ok(())
    }

    /// `Dargah::call`: one operation, JSON parameters in, JSON out.
    fn call<'py>(&self, py: Python<'py>, operation: String, params_json: String) -> PyResult<Bound<'py, PyAny>> {
        let params: Value = serde_json::from_str(&params_json)
            .map_err(|e| to_pyerr(py, Error::invalid(format!("{operation}: parameters: {}", dargah_core::redact::hide_values(&e.to_string())))))?;
        let answer = self.detached(py, |d| d.call(&operation, &params))?;
        to_py(py, &answer)
    }
}

impl Client {
    /// Run a core call with the GIL released; its error becomes a Python
    /// exception. When the `dargah` logger wants them, the call's audit
    /// events are collected and logged on this thread once it returns.
    fn detached<T: Send>(&self, py: Python<'_>, call: impl FnOnce(&Dargah) -> dargah_core::Result<T> + Send) -> PyResult<T> {
        let log = log_module(py)?;
        let level: String = log.getattr("_capture_level")?.call0()?.extract()?;
        let Some(level) = dargah_core::audit::level_from_name(&level) else {
            return py.detach(|| call(&self.dargah)).map_err(|e| to_pyerr(py, e));
        };
        let (result, events) = py.detach(|| dargah_core::audit::capture(level, || call(&self.dargah)));
        if !events.is_empty() {
            let records = events
                .iter()
                .map(|e| Ok((e.level, e.target.as_str(), e.message(), to_py(py, &Value::Object(e.fields.clone()))?)))
                .collect::<PyResult<Vec<_>>>()?;
            log.getattr("_emit")?.call1((records,))?;
        }
        result.map_err(|e| to_pyerr(py, e))
    }

    fn callback<'py>(&self, py: Python<'py>, gateway: Gateway, account: Option<&str>, fields: &CallbackFields) -> PyResult<Bound<'py, PyAny>> {
        let outcome = self.detached(py, |d| match account {
            Some(account) => d.handle_account_callback(gateway, account, fields),
            None => d.handle_callback(gateway, fields),
        })?;
        to_py(py, &json(py, &outcome)?)
    }
}

fn parse_gateway(py: Python<'_>, name: &str) -> PyResult<Gateway> {
    name.parse().map_err(|e| to_pyerr(py, e))
}

fn json<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Value> {
    serde_json::to_value(value).map_err(|e| to_pyerr(py, Error::internal(e.to_string())))
}

/// `{"method": "GET"|"POST", "url", "fields"?, "html"}`: the page comes from the
/// core so every binding serves the same (escaped, auto-submitting) HTML.
fn redirect_to_py<'py>(py: Python<'py>, redirect: &Redirect) -> PyResult<Bound<'py, PyAny>> {
    let mut value = json(py, redirect)?;
    value["html"] = Value::String(redirect.html());
    to_py(py, &value)
}

fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => PyList::new(py, items.iter().map(|v| to_py(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any(),
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// `dargah._log`, which hands the audit events to `logging`.
static LOG_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn log_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(LOG_MODULE.get_or_try_init(py, || py.import("dargah._log").map(Bound::unbind))?.bind(py))
}

/// `dargah._errors._from_core`, which picks the exception class, so the table
/// of kinds and classes lives in one place (Python, where users read it).
static ERROR_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn to_pyerr(py: Python<'_>, error: Error) -> PyErr {
    let exception = ERROR_FACTORY
        .get_or_try_init(py, || py.import("dargah._errors")?.getattr("_from_core").map(Bound::unbind))
        .and_then(|factory| {
            factory.bind(py).call1((error.kind().name(), error.message(), error.gateway_code(), error.gateway_message(), error.http_status()))
        });
    match exception {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// Parse and validate a configuration without opening its store (Django's
/// system check): JSON, or TOML when `toml` is true.
#[pyfunction]
fn check_config(py: Python<'_>, text: String, toml: bool) -> PyResult<()> {
    let config = if toml { dargah_core::Config::from_toml(&text) } else { dargah_core::Config::from_json(&text) };
    config.and_then(|c| c.validate()).map_err(|e| to_pyerr(py, e))
}

/// `[(name, code)]` of every core error kind (for tests and docs).
#[pyfunction]
fn _error_kinds() -> Vec<(&'static str, u32)> {
    ErrorKind::ALL.iter().map(|k| (k.name(), k.code())).collect()
}

/// Raise a core error of `kind` through the real conversion, for the kinds no
/// public call can be made to produce (tests only).
#[pyfunction]
fn _raise_core_error(py: Python<'_>, kind: String, message: String) -> PyResult<()> {
    let kind = ErrorKind::ALL.iter().find(|k| k.name() == kind).ok_or_else(|| PyValueError::new_err(format!("no error kind {kind:?}")))?;
    Err(to_pyerr(py, Error::new(*kind, message)))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Client>()?;
    #[cfg(feature = "testkit")]
    m.add_class::<testkit::Sandbox>()?;
    m.add("__version__", dargah_core::VERSION)?;
    m.add("OPERATIONS", dargah_core::OPERATIONS.to_vec())?;
    m.add_function(wrap_pyfunction!(check_config, m)?)?;
    m.add_function(wrap_pyfunction!(_error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(_raise_core_error, m)?)?;
    Ok(())
}
