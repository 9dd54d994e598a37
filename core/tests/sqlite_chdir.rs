//! Issue 24 item 2, in a test binary of its own because `chdir` changes the
//! whole process: PHP-FPM changes directory per request while one client per
//! worker keeps its store, and the default store is the relative
//! `sqlite://dargah.db`. The store opens, writes and syncs the file it was
//! made with, whatever the current directory is later, and a `dargah.db-wal`
//! left in the new directory is never taken for its WAL.

mod support;

use dargah_core::store::{self, Claim, ClaimInput, Finish, Resolution, Store};
use dargah_core::PaymentState;
use std::sync::Arc;

/// Create, claim and store a paid answer: every write a callback makes.
fn pay(s: &dyn Store, id: &str) -> dargah_core::Result<PaymentState> {
    s.insert(&support::databases::vandar_payment(id), 60_000)?;
    s.attach_token(id, &format!("T-{id}"), "{}")?;
    let Claim::Claimed { payment, .. } = s.claim(id, &ClaimInput::default(), 60_000)? else { panic!("{id}: not claimed") };
    let paid = Resolution { state: Some(PaymentState::Paid), reference: Some(format!("R-{id}")), verified_amount: Some(10_000), raw: "{}".into(), ..Default::default() };
    let Finish::Applied(p) = s.finish(id, payment.fence, &paid)? else { panic!("{id}: not applied") };
    Ok(p.state)
}

#[test]
fn a_relative_sqlite_store_keeps_its_file_after_a_chdir_and_never_syncs_a_decoy_wal() {
    let (shop, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::env::set_current_dir(shop.path()).unwrap();
    let s: Arc<dyn Store> = store::open("sqlite://dargah.db", "").unwrap();
    assert_eq!(pay(s.as_ref(), "before").unwrap(), PaymentState::Paid);

    // The next request runs in another directory: a committed `paid` is reported as paid.
    std::env::set_current_dir(elsewhere.path()).unwrap();
    assert_eq!(pay(s.as_ref(), "after_chdir").expect("a committed paid is no store error after a chdir"), PaymentState::Paid);

    // A WAL-named decoy there is left alone, and new connections open the shop's database.
    std::fs::write(elsewhere.path().join("dargah.db-wal"), b"decoy").unwrap();
    assert_eq!(pay(s.as_ref(), "beside_decoy").unwrap(), PaymentState::Paid);
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || (0..50).all(|_| s.get("beside_decoy").map(|p| p.is_some()).unwrap_or(false)))
        })
        .collect();
    assert!(readers.into_iter().all(|r| r.join().unwrap()), "every connection, new ones included, reads the shop's database");
    assert!(!elsewhere.path().join("dargah.db").exists(), "no second database in the new directory");
    assert_eq!(std::fs::read(elsewhere.path().join("dargah.db-wal")).unwrap(), b"decoy", "the decoy is untouched");

    // Everything landed in the file the client was made with.
    let direct = rusqlite::Connection::open(shop.path().join("dargah.db")).unwrap();
    let paid: i64 = direct.query_row("SELECT COUNT(*) FROM payments WHERE state = 'paid'", [], |r| r.get(0)).unwrap();
    assert_eq!(paid, 3);
}
