//! TLS to PostgreSQL and MariaDB (issue 14), against the servers
//! scripts/db.sh starts with a certificate signed by a CA it makes: a
//! verified connection works (as `dargah_tls`, a user the servers admit over
//! TLS only), a wrong CA is refused with a clear error. The conformance suite
//! runs over TLS too (store_conformance.rs, `postgres+tls` and `mysql+tls`);
//! the name check of verify-full against verify-ca is a unit test of
//! `store::tls` on the same certificates.

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
