//! The one HTTP client and async runtime, per process.
//!
//! Nothing is built at load time. The runtime and the reqwest client are made
//! on first use and belong to the process that made them: after `fork()` the
//! child finds a different pid, leaks the inherited ones (dropping them would
//! join threads that do not exist in the child or touch the parent's sockets)
//! and builds its own. See DESIGN.md, "Fork and threads".

use crate::config::Config;
use crate::audit::audit;
use crate::error::{Error, ErrorKind, Result};
use crate::process::{block_signals, with_signals_blocked, ProcessLocal};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tracing::instrument::WithSubscriber;
use url::Url;

static RUNTIME: ProcessLocal<tokio::runtime::Runtime> = ProcessLocal::new();

fn runtime() -> Result<Arc<tokio::runtime::Runtime>> {
    RUNTIME.get_or_try_init(|| {
        // The workers are started by `build`: they inherit the blocked mask from their first
        // instruction; `on_thread_start` covers the blocking pool's threads, started later.
        with_signals_blocked(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("dargah-io")
                .enable_io()
                .enable_time()
                .on_thread_start(block_signals)
                .build()
                .map_err(|e| Error::internal(format!("cannot start the I/O runtime: {e}")))
        })
    })
}

/// Run a future on the process's runtime and wait for it from the calling
/// thread. Works from plain threads and from inside another async runtime.
///
/// From a plain thread (PHP, a Python or C caller) the future runs on the
/// caller's own thread (`Runtime::block_on`): no task is spawned and no
/// answer crosses back through a channel, which saves a thread hop each way
/// (see `hop_costs` below). Only the connection tasks run on the runtime's
/// threads. From inside another runtime, where `block_on` is not allowed, the
/// future is spawned onto ours and its answer awaited through a channel.
pub(crate) fn block_on<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(rt.block_on(future));
    }
    spawned(&rt, future)
}

/// Spawn the future onto `rt` and wait for its answer from this thread.
fn spawned<F>(rt: &tokio::runtime::Runtime, future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    // The caller's subscriber goes with the task: a binding's per-call
    // capture (audit::capture) sees the events of the I/O threads too.
    rt.spawn(
        async move {
            let _ = tx.send(future.await);
        }
        .with_current_subscriber(),
    );
    rx.recv().map_err(|_| Error::internal("the I/O task ended without an answer"))
}

/// An answer from a gateway, read with a size limit.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub text: String,
}

impl Answer {
    /// The body as JSON, or a `malformed_response` that says which gateway call it was.
    pub fn json(&self, what: &str) -> Result<Value> {
        serde_json::from_str(&self.text).map_err(|e| {
            Error::malformed(format!("{what}: the answer is not JSON ({e}); HTTP {}", self.status)).with_http_status(self.status)
        })
    }
    pub fn is_server_error(&self) -> bool {
        self.status >= 500
    }
}

/// The HTTP client shared by all gateways of one `Dargah` in one process.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    max_response_bytes: usize,
    /// Each configured base URL with its gateway's name, to name the gateway of a call in the audit trail.
    gateways: Arc<Vec<(String, &'static str)>>,
    /// The payment these calls are about, for the audit trail.
    payment_id: Option<Arc<str>>,
}

impl Http {
    /// The same client, its calls recorded as being about `payment_id`.
    pub(crate) fn for_payment(&self, payment_id: &str) -> Arc<Http> {
        Arc::new(Http { payment_id: Some(payment_id.into()), ..self.clone() })
    }

    fn gateway_of(&self, url: &Url) -> &'static str {
        self.gateways.iter().find(|(base, _)| url.as_str().starts_with(base.as_str())).map(|(_, name)| *name).unwrap_or("")
    }

    pub(crate) fn new(full: &Config) -> Result<Http> {
        let config = &full.http;
        let mut builder = reqwest::Client::builder();
        if let Some(proxy) = &config.proxy {
            // reqwest reads credentials in the URL as the proxy's own (Basic for
            // http/https, username/password for socks5). Its error may quote the URL.
            let proxy = reqwest::Proxy::all(proxy.expose()).map_err(|_| Error::config("http.proxy is not a proxy URL reqwest accepts"))?;
            builder = builder.proxy(proxy);
        }
        if let Some(path) = &config.ca_file {
            let unreadable = |why: String| Error::config(format!("http.ca_file {}: {why}", path.display()));
            let pem = std::fs::read(path).map_err(|e| unreadable(format!("cannot be read: {e}")))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| unreadable("is not a PEM file of certificates".into()))?;
            if certs.is_empty() {
                return Err(unreadable("holds no certificate".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .use_rustls_tls()
            .https_only(false) // plain http is refused by config validation except to loopback
            .connect_timeout(config.connect_timeout())
            .timeout(config.request_timeout())
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .tcp_keepalive(std::time::Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("dargah/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http { client, max_response_bytes: config.max_response_bytes, gateways: Arc::new(gateway_bases(full)), payment_id: None })
    }

    pub(crate) async fn post_json(&self, url: Url, body: &Value) -> Result<Answer> {
        self.send(reqwest::Method::POST, url, Some(body), None).await
    }

    /// Send one request. The URL was built with `Url` path/query setters, so
    /// no value from a callback is ever spliced into it unescaped.
    pub(crate) async fn send(&self, method: reqwest::Method, url: Url, body: Option<&Value>, bearer: Option<&str>) -> Result<Answer> {
        let gateway = self.gateway_of(&url);
        let operation = format!("{method} {}", url.path());
        let started = Instant::now();
        let answer = self.exchange(method, url, body, bearer).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let payment_id = self.payment_id.as_deref().unwrap_or("");
        match &answer {
            Ok(a) if a.status < 400 => audit!(info, gateway, "gateway_call", operation = operation.as_str(), payment_id, http_status = a.status, duration_ms, outcome = "ok"),
            Ok(a) => audit!(warn, gateway, "gateway_call", operation = operation.as_str(), payment_id, http_status = a.status, duration_ms, outcome = "http_error"),
            Err(e) => audit!(warn, gateway, "gateway_call", operation = operation.as_str(), payment_id, http_status = e.http_status().unwrap_or(0), duration_ms, outcome = e.kind().name()),
        }
        answer
    }

    async fn exchange(&self, method: reqwest::Method, url: Url, body: Option<&Value>, bearer: Option<&str>) -> Result<Answer> {
        let host = url.host_str().unwrap_or("").to_string();
        let mut request = self.client.request(method, url).header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| transport_error(&host, &e))?;
        let status = response.status().as_u16();
        let mut response = response;
        let mut bytes: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&host, &e))? {
            if bytes.len() + chunk.len() > self.max_response_bytes {
                return Err(Error::malformed(format!("the answer from {host} is larger than {} bytes", self.max_response_bytes)).with_http_status(status));
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(bytes).map_err(|_| Error::malformed(format!("the answer from {host} is not UTF-8")).with_http_status(status))?;
        Ok(Answer { status, text })
    }
}

/// Every configured base URL (of every account) and its gateway.
fn gateway_bases(config: &Config) -> Vec<(String, &'static str)> {
    config.base_urls().into_iter().map(|(_, base, gateway)| (base, gateway)).collect()
}

fn transport_error(host: &str, e: &reqwest::Error) -> Error {
    // reqwest's Display may include the URL; ours never carries secrets (they travel in bodies), but keep it short anyway.
    let kind = if e.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Network };
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "connection broke"
    };
    Error::new(kind, format!("{what} talking to {host}"))
}

/// Join a relative path onto a configured base URL, keeping the base's path.
pub(crate) fn endpoint(base: &str, path: &str) -> Result<Url> {
    let mut url = Url::parse(base).map_err(|e| Error::config(format!("bad base URL: {e}")))?;
    {
        let mut segments = url.path_segments_mut().map_err(|_| Error::config("base URL cannot have a path"))?;
        segments.pop_if_empty();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            segments.push(part);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_the_base_path_and_escapes() {
        let u = endpoint("https://mupra.ir/restapi/api/ipg/", "verify/json").unwrap();
        assert_eq!(u.as_str(), "https://mupra.ir/restapi/api/ipg/verify/json");
        let u = endpoint("http://127.0.0.1:1/vandar/ipg", "api/v4/send").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:1/vandar/ipg/api/v4/send");
    }

    /// What reaching the runtime costs a blocking caller, with an empty future:
    /// `cargo test -p dargah-core --release --lib hop_costs -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn hop_costs() {
        let rt = runtime().unwrap();
        block_on(async {}).unwrap();
        let time = |f: &dyn Fn()| {
            let mut v: Vec<u128> = (0..2000).map(|_| { let t = Instant::now(); f(); t.elapsed().as_nanos() }).collect();
            v.sort();
            v[v.len() / 2]
        };
        for _ in 0..3 {
            let caller = time(&|| { block_on(async {}).unwrap(); });
            let hop = time(&|| { spawned(&rt, async {}).unwrap(); });
            println!("empty future: on the caller's thread {caller} ns, spawned and sent back {hop} ns (medians of 2000)");
        }
    }

    #[test]
    fn block_on_from_threads_and_after_a_runtime_call() {
        let threads: Vec<_> = (0..4).map(|i| std::thread::spawn(move || block_on(async move { i * 2 }).unwrap())).collect();
        let sum: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, 12);
        let timer = block_on(async { tokio::time::sleep(std::time::Duration::from_millis(5)).await; 7 }).unwrap();
        assert_eq!(timer, 7);
    }

    #[test]
    fn block_on_works_inside_another_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let v = rt.block_on(async { block_on(async { 41 + 1 }).unwrap() });
        assert_eq!(v, 42);
    }
}
