//! What Mupra remembers of the merchant: its settled balance.

/// What Mupra has settled with the merchant; PAYA transfers come out of it.
pub(crate) struct Ledger {
    pub balance: u64,
}

impl Ledger {
    pub(crate) fn new() -> Self {
        Ledger {
            balance: 50_000_000,
        }
    }
}
