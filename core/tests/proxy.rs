//! `http.proxy` (issue 14): every gateway call goes through the configured
//! proxy — an HTTP proxy (absolute-form requests, Basic credentials), the
//! same behind TLS as an `https://` proxy (its certificate signed by a CA
//! made here, trusted through `http.ca_file`), and a SOCKS5 proxy
//! (username/password) written here, on loopback, counting what passes
//! through them. Wrong proxy credentials fail the call without
//! reaching the gateway, and never show the password.

mod support;

use base64::Engine;
use dargah_core::{Dargah, Gateway, PaymentRequest};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::sandbox::World;

const USER: &str = "shop";
const PASSWORD: &str = "proxy-PASSWORD-7d1e";

/// Copy both ways until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a2);
    let _ = a2.shutdown(Shutdown::Write);
    let _ = up.join();
}

/// A proxy on a free loopback port: `serve` handles one client connection,
/// counting what it forwards; returns the proxy's address and that count.
fn start(serve: fn(TcpStream, &AtomicUsize)) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let forwarded = Arc::new(AtomicUsize::new(0));
    let count = forwarded.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || serve(client, &count));
        }
    });
    (address, forwarded)
}

/// An HTTP proxy: one absolute-form request per connection (it asks the
/// origin to close), with `Proxy-Authorization: Basic` checked.
fn http_proxy(client: TcpStream, forwarded_requests: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line);
    }
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")));
    let authorized = head.iter().any(|h| h.to_ascii_lowercase().starts_with("proxy-authorization:") && h.trim_end().ends_with(&expected));
    let mut client = client;
    if !authorized {
        let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    // "POST http://127.0.0.1:1234/path HTTP/1.1" → origin-form to 127.0.0.1:1234.
    let mut parts = head[0].split_whitespace();
    let (method, target, version) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let url = url::Url::parse(target).unwrap();
    let origin = format!("{}:{}", url.host_str().unwrap(), url.port_or_known_default().unwrap());
    let mut upstream = TcpStream::connect(origin).unwrap();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut forwarded = format!("{method} {path} {version}\r\n");
    for h in &head[1..] {
        let lower = h.to_ascii_lowercase();
        if !lower.starts_with("proxy-") && !lower.starts_with("connection:") {
            forwarded.push_str(h);
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    upstream.write_all(forwarded.as_bytes()).unwrap();
    let buffered = reader.buffer().to_vec();
    upstream.write_all(&buffered).unwrap();
    forwarded_requests.fetch_add(1, Ordering::SeqCst);
    pipe(client, upstream);
}

/// A SOCKS5 proxy (RFC 1928) with username/password (RFC 1929).
fn socks5_proxy(mut client: TcpStream, tunnels: &AtomicUsize) {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).unwrap();
    let mut methods = vec![0u8; greeting[1] as usize];
    client.read_exact(&mut methods).unwrap();
    if !methods.contains(&2) {
        let _ = client.write_all(&[5, 0xff]);
        return;
    }
    client.write_all(&[5, 2]).unwrap();
    let mut byte = [0u8; 1];
    client.read_exact(&mut byte).unwrap(); // subnegotiation version 1
    client.read_exact(&mut byte).unwrap();
    let mut user = vec![0u8; byte[0] as usize];
    client.read_exact(&mut user).unwrap();
    client.read_exact(&mut byte).unwrap();
    let mut password = vec![0u8; byte[0] as usize];
    client.read_exact(&mut password).unwrap();
    if user != USER.as_bytes() || password != PASSWORD.as_bytes() {
        let _ = client.write_all(&[1, 1]);
        return;
    }
    client.write_all(&[1, 0]).unwrap();
    let mut request = [0u8; 4];
    client.read_exact(&mut request).unwrap();
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).unwrap();
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            client.read_exact(&mut byte).unwrap();
            let mut name = vec![0u8; byte[0] as usize];
            client.read_exact(&mut name).unwrap();
            String::from_utf8(name).unwrap()
        }
        _ => return,
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).unwrap();
    let upstream = TcpStream::connect((host.as_str(), u16::from_be_bytes(port))).unwrap();
    client.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).unwrap();
    tunnels.fetch_add(1, Ordering::SeqCst);
    pipe(client, upstream);
}

fn client_through(world: &World, proxy: &str) -> Dargah {
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["http"]["proxy"] = json!(proxy);
    Dargah::from_json(&config.to_string()).unwrap()
}

/// A paid payment on every gateway, and a business call: how many gateway calls that made.
fn every_gateway(world: &World, dargah: &Dargah) -> u64 {
    let before = world.stats()["calls"].as_object().unwrap().iter().filter(|(k, _)| !k.ends_with(".page")).map(|(_, v)| v.as_u64().unwrap()).sum::<u64>();
    for gateway in [Gateway::Mupra, Gateway::CanPay, Gateway::AtiPay, Gateway::Vandar] {
        let request = PaymentRequest::new(support::databases::unique_prefix("px").trim_end_matches('_'), 50_000, "https://shop.example/cb").mobile("09123456789");
        let created = dargah.create_payment(gateway, request).unwrap();
        let fields = world.pay(gateway, created.payment.token.as_deref().unwrap(), true);
        assert!(dargah.handle_callback(gateway, &fields).unwrap().is_newly_paid(), "{gateway}");
    }
    dargah.call("mupra.balance", &json!({})).unwrap();
    let after = world.stats()["calls"].as_object().unwrap().iter().filter(|(k, _)| !k.ends_with(".page")).map(|(_, v)| v.as_u64().unwrap()).sum::<u64>();
    after - before
}

#[test]
fn every_gateway_call_goes_through_an_http_proxy() {
    let world = World::start();
    let (address, forwarded) = start(http_proxy);
    let calls = every_gateway(&world, &client_through(&world, &format!("http://{USER}:{PASSWORD}@{address}")));
    assert!(calls >= 9, "{calls}");
    assert_eq!(forwarded.load(Ordering::SeqCst) as u64, calls, "each gateway call passed through the proxy");

    // Wrong credentials: refused at the proxy, nothing reaches the gateway, no password shown.
    let before = forwarded.load(Ordering::SeqCst);
    let wrong = client_through(&world, &format!("http://{USER}:not-{PASSWORD}@{address}"));
    let e = wrong.create_payment(Gateway::CanPay, PaymentRequest::new("px-wrong", 50_000, "https://shop.example/cb")).unwrap_err();
    assert!(!format!("{e} {e:?} {wrong:?}").contains(PASSWORD), "{e}");
    assert_eq!(forwarded.load(Ordering::SeqCst), before);
}

#[test]
fn every_gateway_call_goes_through_a_socks5_proxy() {
    let world = World::start();
    let (address, forwarded) = start(socks5_proxy);
    let calls = every_gateway(&world, &client_through(&world, &format!("socks5://{USER}:{PASSWORD}@{address}")));
    assert!(calls >= 9, "{calls}");
    // A tunnel carries many calls (connections are reused): every call went through one,
    // as nothing else could reach the sandbox through this client.
    let tunnels = forwarded.load(Ordering::SeqCst);
    assert!((1..=calls as usize).contains(&tunnels), "{tunnels} tunnels for {calls} calls");

    let wrong = client_through(&world, &format!("socks5h://{USER}:not-{PASSWORD}@{address}"));
    let e = wrong.create_payment(Gateway::CanPay, PaymentRequest::new("px-wrong-s", 50_000, "https://shop.example/cb")).unwrap_err();
    assert_eq!(e.kind(), dargah_core::ErrorKind::Network, "{e}");
    assert!(!format!("{e} {e:?}").contains(PASSWORD), "{e}");
}

#[test]
fn a_proxy_url_that_is_not_one_is_refused_without_showing_it() {
    for proxy in ["ftp://u:SECRET@127.0.0.1:9", "not a url SECRET", "http://:SECRET@"] {
        let e = Dargah::from_json(&json!({"store": "sqlite:///tmp/never.db", "http": {"proxy": proxy}}).to_string()).unwrap_err();
        assert_eq!(e.kind(), dargah_core::ErrorKind::Config);
        assert!(e.message().contains("http.proxy") && !e.message().contains("SECRET"), "{}", e.message());
    }
}

/// A CA and a certificate for 127.0.0.1 signed by it, made here with openssl
/// (as scripts/db.sh makes the databases'): (CA file, certificate, key).
fn proxy_certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl is installed (scripts/install-deps.sh)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Dargah test proxy CA", "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    run(&["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "proxy.key", "-out", "proxy.csr"]);
    std::fs::write(dir.join("proxy.ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n").unwrap();
    run(&["x509", "-req", "-in", "proxy.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "proxy.ext", "-out", "proxy.pem"]);
    (dir.join("ca.pem"), dir.join("proxy.pem"), dir.join("proxy.key"))
}

/// An `https://` proxy: TLS to the proxy itself (rustls, with the
/// certificate above), then the HTTP proxy above inside it. Counts the TLS
/// sessions; the inner proxy counts the requests.
fn start_https_proxy(cert: &std::path::Path, key: &std::path::Path, inner: String) -> (String, Arc<AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let sessions = Arc::new(AtomicUsize::new(0));
    let count = sessions.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (config, count, inner) = (config.clone(), count.clone(), inner.clone());
            std::thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), client);
                // The handshake first: a client that refuses the certificate is not counted.
                while tls.conn.is_handshaking() {
                    if tls.conn.complete_io(&mut tls.sock).is_err() {
                        return;
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let mut upstream = TcpStream::connect(&inner).unwrap();
                // One thread, both directions: short read timeouts on both sockets.
                let tick = Some(std::time::Duration::from_millis(5));
                tls.sock.set_read_timeout(tick).unwrap();
                upstream.set_read_timeout(tick).unwrap();
                let idle = |e: &std::io::Error| matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut);
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match tls.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => upstream.write_all(&buf[..n]).unwrap(),
                        Err(e) if idle(&e) => {}
                        Err(_) => break,
                    }
                    match upstream.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            if tls.write_all(&buf[..n]).and_then(|_| tls.flush()).is_err() {
                                break;
                            }
                        }
                        Err(e) if idle(&e) => {}
                        Err(_) => break,
                    }
                }
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (address, sessions)
}

#[test]
fn every_gateway_call_goes_through_an_https_proxy() {
    let world = World::start();
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = proxy_certificate(certs.path());
    let (inner, forwarded) = start(http_proxy);
    let (address, sessions) = start_https_proxy(&cert, &key, inner);
    let proxy = format!("https://{USER}:{PASSWORD}@{address}");

    // The proxy's certificate is checked: without its CA the client refuses it, and nothing passes.
    let untrusted = client_through(&world, &proxy);
    let e = untrusted.create_payment(Gateway::CanPay, PaymentRequest::new("px-untrusted", 50_000, "https://shop.example/cb")).unwrap_err();
    assert_eq!(e.kind(), dargah_core::ErrorKind::Network, "{e}");
    assert!(!format!("{e} {e:?} {untrusted:?}").contains(PASSWORD), "{e}");
    assert_eq!((sessions.load(Ordering::SeqCst), forwarded.load(Ordering::SeqCst)), (0, 0), "refused at the handshake");

    // With the CA the test made (`http.ca_file`): every call goes through, inside TLS to the proxy.
    let mut config: Value = serde_json::from_str(&world.config(60)).unwrap();
    config["http"]["proxy"] = json!(proxy);
    config["http"]["ca_file"] = json!(ca);
    let dargah = Dargah::from_json(&config.to_string()).unwrap();
    let calls = every_gateway(&world, &dargah);
    assert!(calls >= 9, "{calls}");
    assert_eq!(forwarded.load(Ordering::SeqCst) as u64, calls, "each gateway call passed through the proxy");
    let tls_sessions = sessions.load(Ordering::SeqCst);
    assert!((1..=calls as usize).contains(&tls_sessions), "{tls_sessions} TLS sessions to the proxy for {calls} calls");
    assert!(!format!("{dargah:?}").contains(PASSWORD));

    // A CA file that is not one: a config error naming the setting.
    let mut bad = config.clone();
    bad["http"]["ca_file"] = json!(key);
    let e = Dargah::from_json(&bad.to_string()).and_then(|d| d.create_payment(Gateway::CanPay, PaymentRequest::new("px-bad-ca", 50_000, "https://shop.example/cb"))).unwrap_err();
    assert_eq!(e.kind(), dargah_core::ErrorKind::Config, "{e}");
    assert!(e.message().contains("http.ca_file"), "{e}");
}
