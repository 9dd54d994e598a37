//! The PostgreSQL and MariaDB servers `make test` starts (scripts/db.sh).

/// The URL in `var`, or None (skip) — unless `DARGAH_REQUIRE_DATABASES=1`,
/// as in `make test`, where a missing server is a failure, never a skip.
pub fn url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("DARGAH_REQUIRE_DATABASES").as_deref() == Ok("1") => panic!("{var} is not set but DARGAH_REQUIRE_DATABASES=1"),
        _ => {
            eprintln!("skipping the {var} backend: not set (make test starts the servers)");
            None
        }
    }
}

/// A table prefix no other test uses, so tests can share one database.
pub fn unique_prefix(tag: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    format!("{tag}{:x}_", (nanos ^ (u128::from(std::process::id()) << 40)) % 0xffff_ffff_ffff)
}

/// (name, store URL, table prefix) of every store under test: SQLite (a file
/// `<tag>.db` in `dir`) always; PostgreSQL and MariaDB when their URLs are
/// set (always in `make test`), each under a prefix of its own.
pub fn every_store(dir: &std::path::Path, tag: &str) -> Vec<(&'static str, String, String)> {
    let mut all = vec![("sqlite", format!("sqlite://{}/{tag}.db", dir.display()), String::new())];
    if let Some(url) = url("DARGAH_TEST_POSTGRES_URL") {
        all.push(("postgres", url, unique_prefix(tag)));
    }
    if let Some(url) = url("DARGAH_TEST_MYSQL_URL") {
        all.push(("mariadb", url, unique_prefix(tag)));
    }
    all
}

/// A Vandar payment of 10,000 rials for a store test, with a 15-minute refund window.
pub fn vandar_payment(id: &str) -> dargah_core::store::NewPayment {
    dargah_core::store::NewPayment {
        id: id.into(),
        gateway: dargah_core::Gateway::Vandar,
        account: "default".into(),
        invoice_id: format!("inv-{id}"),
        amount: 10_000,
        callback_url: "https://shop.example/cb".into(),
        request_json: "{}".into(),
        refund_window_ms: 900_000,
    }
}
