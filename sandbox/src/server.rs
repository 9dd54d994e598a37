//! The accept loop. It is driven by hand (rather than `axum::serve`) so that
//! a `drop_after_process` fault can close a connection after the handler
//! ran, without writing any response: the client sees a connection error.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tower::ServiceExt;

/// Handed to every request of a connection (as an extension): notifying it
/// makes the connection task drop the connection.
#[derive(Clone)]
pub(crate) struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Closes the connection; the current response is never sent.
    pub(crate) async fn drop_connection(self) -> Response {
        self.0.notify_one();
        std::future::pending().await
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub(crate) async fn run(listener: TcpListener, router: Router, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Typically out of file descriptors: back off instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        tokio::spawn(serve_connection(stream, router.clone()));
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let kill = ConnKill(Arc::new(Notify::new()));
    let service = {
        let kill = kill.clone();
        service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(kill.clone());
            // Router is always ready and infallible, so oneshot is all we need.
            router.clone().oneshot(req.map(axum::body::Body::new))
        })
    };
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        // Errors here are the client's doing (reset, garbage); nothing to report.
        _ = connection => {}
        // Dropping the connection future closes the socket, mid-request.
        () = kill.0.notified() => {}
    }
}
