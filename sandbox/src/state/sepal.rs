//! What Sepal reports: a fixed set of seeded payments (Sepal is reporting
//! only; no Sepal payment is ever created through the sandbox).

use serde_json::{json, Value};
use time::macros::datetime;
use time::{Duration as TimeDuration, PrimitiveDateTime};

use crate::calendar::jalali_datetime;

/// One payment in the seeded report data.
pub(crate) struct SeededPayment {
    pub payment_number: u64,
    pub amount: u64,
    pub token: String,
    pub tracking_number: String,
    pub card: &'static str,
    pub successful: bool,
    /// Tehran local time.
    pub created: PrimitiveDateTime,
}

pub(crate) struct Reports {
    pub payments: Vec<SeededPayment>,
}

const CARDS: [&str; 2] = ["603769********9641", "589210********4421"];

impl Reports {
    /// The two payments of the document's sample answer (1401/10/28 and
    /// 1401/10/29), plus 23 more, one a day from 1401/10/01.
    pub(crate) fn seeded() -> Self {
        let mut payments = vec![
            SeededPayment {
                payment_number: 1755366969864145,
                amount: 3_000_000,
                token: "iY49I2jCnunYcxhHZq8DNz0bKX8-sdkljskncbd47RE0c".into(),
                tracking_number: "144010".into(),
                card: CARDS[0],
                successful: true,
                created: datetime!(2023-01-18 16:56:35),
            },
            SeededPayment {
                payment_number: 17554393664312547,
                amount: 2_500_000,
                token: "qBhtOiS9X9zcarNqEGYGTyKC1lKQIzuX8fP714545".into(),
                tracking_number: "243121".into(),
                card: CARDS[0],
                successful: true,
                created: datetime!(2023-01-19 12:07:17),
            },
        ];
        for i in 0..23u64 {
            payments.push(SeededPayment {
                payment_number: 1755300000000000 + i * 7919,
                amount: 1_000_000 + i * 250_000,
                token: format!("sandboxSeedToken{i:04}"),
                tracking_number: format!("{}", 300_000 + i * 37),
                card: CARDS[(i % 2) as usize],
                // One failed payment, so a report is not all successes.
                successful: i != 5,
                created: datetime!(2022-12-22 09:00:00)
                    + TimeDuration::days(i as i64)
                    + TimeDuration::minutes((i * 17) as i64),
            });
        }
        payments.sort_by_key(|p| p.created);
        Reports { payments }
    }
}

impl SeededPayment {
    pub(crate) fn wage(&self) -> u64 {
        self.amount / 100
    }

    /// State `"1"` / `موفق` is documented; `"2"` / `ناموفق` is our choice.
    pub(crate) fn state(&self) -> (&'static str, &'static str) {
        if self.successful {
            ("1", "موفق")
        } else {
            ("2", "ناموفق")
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let (state, label) = self.state();
        json!({
            "payment_number": self.payment_number.to_string(),
            "amount": self.amount,
            "wage_amount": self.wage(),
            "payer_wage_amount": 0,
            "acceptor_wage_amount": self.wage(),
            "token": self.token,
            "tracking_number": self.tracking_number,
            "invoice_number": null,
            "description": null,
            "payer_email": "",
            "payer_mobile": "",
            "payer_card_number": self.card,
            "type": "3",
            "state": state,
            "created": jalali_datetime(self.created),
            "type_label": "فرم پرداخت",
            "state_label": label,
        })
    }

    /// A full card number matches the masked one by its first six and last
    /// four digits; a masked one must match exactly.
    pub(crate) fn card_matches(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        if wanted.len() == 16 && wanted.bytes().all(|b| b.is_ascii_digit()) {
            self.card.starts_with(&wanted[..6]) && self.card.ends_with(&wanted[12..])
        } else {
            self.card == wanted
        }
    }
}
