//! A scripted loopback HTTP server for adapter tests: each path answers a
//! queue of canned replies (the last one repeats) and records what it got.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub content_type: String,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    routes: HashMap<String, VecDeque<Reply>>,
    log: Vec<Received>,
}

pub struct Stub {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Stub {
    pub fn start() -> Stub {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let state = inner.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app).with_graceful_shutdown(async { let _ = rx.await; }).await.unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Stub { base: format!("http://{addr}"), inner, _shutdown: tx }
    }

    /// From now on `path` answers this (replacing what was queued).
    pub fn on(&self, path: &str, status: u16, body: &str) -> &Self {
        self.on_slow(path, status, body, Duration::ZERO)
    }

    pub fn on_slow(&self, path: &str, status: u16, body: &str, delay: Duration) -> &Self {
        let mut inner = self.inner.lock().unwrap();
        inner.routes.insert(path.to_string(), VecDeque::from([Reply { status, body: body.to_string(), delay }]));
        self
    }

    /// After the replies queued for `path`, answer this one (the last repeats).
    pub fn then(&self, path: &str, status: u16, body: &str) -> &Self {
        let mut inner = self.inner.lock().unwrap();
        inner.routes.entry(path.to_string()).or_default().push_back(Reply { status, body: body.to_string(), delay: Duration::ZERO });
        self
    }

    /// Everything received on `path`.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.inner.lock().unwrap().log.iter().filter(|r| r.path == path).cloned().collect()
    }

    pub fn total_requests(&self) -> usize {
        self.inner.lock().unwrap().log.len()
    }
}

async fn handle(State(inner): State<Arc<Mutex<Inner>>>, method: Method, uri: Uri, headers: axum::http::HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut inner = inner.lock().unwrap();
        inner.log.push(Received {
            method: method.to_string(),
            path: uri.path().to_string(),
            content_type: headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        match inner.routes.get_mut(uri.path()) {
            Some(queue) if queue.len() > 1 => queue.pop_front(),
            Some(queue) => queue.front().cloned(),
            None => None,
        }
    };
    match reply {
        Some(reply) => {
            tokio::time::sleep(reply.delay).await;
            (StatusCode::from_u16(reply.status).unwrap(), [("content-type", "application/json")], reply.body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no route").into_response(),
    }
}
