//! TLS to PostgreSQL and MariaDB (issue 14), against the servers
//! scripts/db.sh starts with a certificate signed by a CA it makes: a
//! verified connection works (as `dargah_tls`, a user the servers admit over
//! TLS only), a wrong CA is refused with a clear error. The conformance suite
//! runs over TLS too (store_conformance.rs, `postgres+tls` and `mysql+tls`).
//! The name check of verify-full against verify-ca is a unit test of
//! `store::tls` on the same certificates, and end to end here: the servers
//! reached through a loopback relay under 127.0.0.2, which their certificate
//! does not name.

mod support;

use dargah_core::{store, ErrorKind};
use support::databases;

/// The TLS URL in `var` with its CA file swapped for the wrong one, or its host for `localhost`.
fn variant(url: &str, wrong_ca: Option<&str>, host: Option<&str>) -> String {
    let mut url = url.to_string();
    if let Some(wrong) = wrong_ca {
        let start = url.find("sslrootcert=").or_else(|| url.find("ssl-ca=")).unwrap();
        let value = &url[start..];
        let key = &value[..value.find('=').unwrap() + 1];
        let end = value.find('&').map(|e| start + e).unwrap_or(url.len());
        url = format!("{}{key}{wrong}{}", &url[..start], &url[end..]);
    }
    if let Some(host) = host {
        url = url.replace("@127.0.0.1:", &format!("@{host}:"));
    }
    url
}

fn check(var: &str, name: &str) {
    let Some(url) = databases::url(var) else { return };
    let wrong_ca = databases::url("DARGAH_TEST_WRONG_CA").expect("DARGAH_TEST_WRONG_CA names the CA that signed nothing");

    // Verified: the store works (the user may connect over TLS only).
    let s = store::open(&url, &databases::unique_prefix("tls")).unwrap_or_else(|e| panic!("{name} over TLS: {e}"));
    assert!(s.now().unwrap() > 0);
    assert!(s.schema_version().unwrap() > 0);

    // Without TLS the same user is refused by the server.
    let plain = url.split('?').next().unwrap();
    let e = store::open(plain, &databases::unique_prefix("tls")).err().expect("the TLS-only user connected without TLS");
    assert_eq!(e.kind(), ErrorKind::Store, "{e}");

    // A CA that did not sign the server's certificate: refused, and said so.
    let e = store::open(&variant(&url, Some(&wrong_ca), None), &databases::unique_prefix("tls")).err().expect("a wrong CA was accepted");
    assert_eq!(e.kind(), ErrorKind::Store, "{e}");
    assert!(e.message().contains("certificate") && e.message().contains("sslrootcert"), "{name}: {}", e.message());
    assert!(!e.message().contains(":dargah@"), "no password in {}", e.message());

    eprintln!("{name}: verified TLS works; wrong CA: {}", e.message());

    // A CA file that does not exist: a config error naming it.
    let e = store::open(&variant(&url, Some("/nonexistent/ca.pem"), None), "x_").err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}

#[test]
fn postgres_over_verified_tls() {
    check("DARGAH_TEST_POSTGRES_TLS_URL", "postgres");
}

#[test]
fn mariadb_over_verified_tls() {
    check("DARGAH_TEST_MYSQL_TLS_URL", "mariadb");
}

/// A TCP relay to `target`, listening on `ip` (any port): what it carries is
/// the server's own TLS, untouched. Counts the connections it relayed.
fn relay(ip: &str, target: std::net::SocketAddr) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind((ip, 0)).unwrap_or_else(|e| panic!("cannot listen on {ip} (Linux routes all of 127/8 to loopback): {e}"));
    let port = listener.local_addr().unwrap().port();
    let relayed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = relayed.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(target) else { continue };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (mut c_read, mut s_write) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_read, &mut s_write);
                let _ = s_write.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s_read, &mut c_write);
                let _ = c_write.shutdown(Shutdown::Write);
            });
        }
    });
    (port, relayed)
}

/// verify-full (VERIFY_IDENTITY) checks the host name end to end: the same
/// server, reached through a relay under an address its certificate does not
/// hold (127.0.0.2; the certificate names 127.0.0.1 and localhost), is
/// refused with an error naming the name check; through the same relay under
/// a name the certificate holds, it works; verify-ca accepts the other name.
fn check_host_name(var: &str, name: &str) {
    let Some(url) = databases::url(var) else { return };
    let parsed = url::Url::parse(&url).unwrap();
    let server: std::net::SocketAddr = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap()).parse().unwrap();
    let (wrong_port, wrong_relayed) = relay("127.0.0.2", server);
    let (right_port, right_relayed) = relay("127.0.0.1", server);
    let at = |host: &str, port: u16| url.replace(&format!("@{server}/"), &format!("@{host}:{port}/"));

    let s = store::open(&at("127.0.0.1", right_port), &databases::unique_prefix("tlsn")).unwrap_or_else(|e| panic!("{name} through the relay under its own name: {e}"));
    assert!(s.now().unwrap() > 0);
    assert!(right_relayed.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the connection went through the relay");

    let e = store::open(&at("127.0.0.2", wrong_port), &databases::unique_prefix("tlsn")).err().expect("verify-full accepted a certificate for another name");
    assert!(wrong_relayed.load(std::sync::atomic::Ordering::SeqCst) >= 1, "the refused connection reached the server");
    assert_eq!(e.kind(), ErrorKind::Store, "{e}");
    let message = e.message();
    assert!(message.contains("NotValidForName") || message.contains("not valid for name"), "{name}: the error names the host check: {message}");
    assert!(message.contains("does not name this host"), "{name}: {message}");
    assert!(!message.contains(":dargah@"), "no password in {message}");
    eprintln!("{name}: verify-full under 127.0.0.2: {message}");

    // The chain alone (verify-ca / VERIFY_CA) accepts the same server under the other name.
    let chain_only = at("127.0.0.2", wrong_port).replace("sslmode=verify-full", "sslmode=verify-ca").replace("ssl-mode=VERIFY_IDENTITY", "ssl-mode=VERIFY_CA");
    assert_ne!(chain_only, at("127.0.0.2", wrong_port));
    let s = store::open(&chain_only, &databases::unique_prefix("tlsn")).unwrap_or_else(|e| panic!("{name} verify-ca under 127.0.0.2: {e}"));
    assert!(s.now().unwrap() > 0);
}

#[test]
fn postgres_verify_full_refuses_a_host_name_the_certificate_does_not_hold() {
    check_host_name("DARGAH_TEST_POSTGRES_TLS_URL", "postgres");
}

#[test]
fn mariadb_verify_identity_refuses_a_host_name_the_certificate_does_not_hold() {
    check_host_name("DARGAH_TEST_MYSQL_TLS_URL", "mariadb");
}
