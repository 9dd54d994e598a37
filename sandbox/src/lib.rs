//! A local HTTP server that speaks the wire APIs of Mupra, CanPay, AtiPay
//! MIPG, Sepal and Vandar as their documents describe them: strict about
//! requests, stateful, with payment pages a browser can drive, and a
//! `/_control` API for tests (counters, fault injection, paying without a
//! browser). See README.md for the URL layout and the choices we made
//! where the documents are silent.

mod atipay;
mod calendar;
mod client_config;
mod canpay;
mod config;
mod control;
pub mod creds;
pub mod creds2;
mod faults;
mod instrument;
mod mupra;
mod page;
pub mod readings;
mod sepal;
mod server;
mod state;
mod vandar;
mod wire;

use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::oneshot;

pub use client_config::{client_config, client_config_with_accounts, SANDBOX_STORE};
pub use config::SandboxConfig;
use state::{GatewayHooks, Payment};
use wire::{ApiError, Callback, Gw};

/// A running sandbox, on its own thread with its own tokio runtime, so it
/// works from plain blocking tests and from inside other runtimes alike.
/// Stops when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts on 127.0.0.1 with a free port.
    pub fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
    }

    /// Starts on `addr`; returns once the socket is listening.
    pub fn start_on(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<Sandbox> {
        // Bind here, synchronously, so bind errors reach the caller and
        // connections queue up from the moment we return.
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("dargah-sandbox-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    // `from_std` needs the runtime; it only fails if the
                    // socket is unusable, and then there is nothing to serve.
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let stopped = async {
                            let _ = stopped.await;
                        };
                        server::run(listener, router(config), stopped).await;
                    }
                });
            })?;
        Ok(Sandbox {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn stop(self) {
        // Drop does the work.
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The control-API endpoint name that counts a payment gateway's verify calls
/// (`mupra.verify`, `canpay.verify`, `atipay.verify-payment`, `vandar.verify`).
pub fn verify_endpoint(gateway: &str) -> Option<&'static str> {
    match gateway {
        "mupra" => Some("mupra.verify"),
        "canpay" => Some("canpay.verify"),
        "atipay" => Some("atipay.verify-payment"),
        "vandar" => Some("vandar.verify"),
        _ => None,
    }
}

/// Each gateway's documented error envelope.
fn envelope(gw: Gw, e: &ApiError) -> Response {
    match gw {
        Gw::Mupra => mupra::envelope(e),
        Gw::CanPay => canpay::envelope(e),
        Gw::AtiPay => atipay::envelope(e),
        Gw::Sepal => sepal::envelope(e),
        Gw::Vandar => vandar::envelope(e),
    }
}

/// Each payment page's way back to the merchant.
fn callback(p: &Payment) -> Callback {
    match p.gw {
        Gw::Mupra => mupra::callback(p),
        Gw::CanPay => canpay::callback(p),
        Gw::AtiPay => atipay::callback(p),
        Gw::Vandar => vandar::callback(p),
        // Sepal is reporting only: no Sepal payment is ever created.
        Gw::Sepal => Callback::Get(p.callback_url.clone()),
    }
}

/// Serves the sandbox on `listener` until the task is dropped (for
/// `dargah sandbox --port 8700`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: SandboxConfig,
) -> std::io::Result<()> {
    server::run(listener, router(config), std::future::pending()).await;
    Ok(())
}

fn router(config: SandboxConfig) -> Router {
    let app = state::Shared::new(config, GatewayHooks { envelope, callback });
    Router::new()
        .merge(mupra::routes(&app))
        .merge(canpay::routes(&app))
        .merge(atipay::routes(&app))
        .merge(sepal::routes(&app))
        .merge(vandar::routes(&app))
        .merge(page::routes(&app))
        .merge(control::routes())
        .fallback(|| async {
            (StatusCode::NOT_FOUND, Json(json!({ "error": "not found" }))).into_response()
        })
        .with_state(app)
}
