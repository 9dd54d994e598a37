//! One claim per payment at a time among the threads of one client, and
//! wake-ups for callers waiting on a payment's answer.
//!
//! A storm of duplicate callbacks (a browser retrying, a shop's proxy
//! replaying) must not queue every duplicate for the store's write lock: the
//! first thread of the client to want a payment's claim leads, and the others
//! follow it, waiting for the answer it stores instead of asking the store
//! themselves. Across processes (and across clients of one process) the
//! store's claim and fence still decide; this only saves the work of asking.
//! The registry belongs to one process: a forked child starts with an empty
//! one (see `ProcessLocal`), never with a parent's half-finished lead.

use crate::model::Payment;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

/// The flights of one client, by payment id; a flight lives while someone holds it.
#[derive(Default)]
pub(crate) struct Flights {
    by_payment: Mutex<HashMap<String, Weak<Flight>>>,
}

#[derive(Default)]
pub(crate) struct Flight {
    state: Mutex<FlightState>,
    changed: Condvar,
}

#[derive(Default)]
struct FlightState {
    /// Moves on every stored answer and every lead that ends.
    generation: u64,
    leading: bool,
    /// The payment as the current (or last) lead left it.
    answer: Option<Payment>,
}

/// What a follower learns when the lead it waited on is done.
pub(crate) enum Followed {
    /// The payment as the lead last stored or read it.
    Answer(Box<Payment>),
    /// The lead ended without an answer (its claim failed): claim as if alone.
    Unanswered,
    /// The lead was still at work when the caller's wait ran out.
    TimedOut,
}

/// Held by the one thread of the client that claims a payment; dropping it
/// lets the followers go.
pub(crate) struct Lead<'a> {
    flight: &'a Flight,
}

impl Flights {
    pub(crate) fn join(&self, id: &str) -> Arc<Flight> {
        let mut flights = lock(&self.by_payment);
        if let Some(flight) = flights.get(id).and_then(Weak::upgrade) {
            return flight;
        }
        if flights.len() >= 64 {
            flights.retain(|_, f| f.strong_count() > 0);
        }
        let flight = Arc::new(Flight::default());
        flights.insert(id.to_string(), Arc::downgrade(&flight));
        flight
    }

    /// A worker of this client stored an answer for the payment (or tried to):
    /// whoever waits on it looks again.
    pub(crate) fn answered(&self, id: &str, payment: Option<&Payment>) {
        let flight = lock(&self.by_payment).get(id).and_then(Weak::upgrade);
        if let Some(flight) = flight {
            let mut state = lock(&flight.state);
            state.generation += 1;
            if let Some(p) = payment {
                state.answer = Some(p.clone());
            }
            flight.changed.notify_all();
        }
    }
}

impl Flight {
    /// Lead this payment's claim, unless another thread of the client does.
    pub(crate) fn lead(&self) -> Option<Lead<'_>> {
        let mut state = lock(&self.state);
        if state.leading {
            return None;
        }
        state.leading = true;
        state.answer = None;
        Some(Lead { flight: self })
    }

    /// Wait until the lead is done, or `deadline`.
    pub(crate) fn follow(&self, deadline: Instant) -> Followed {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let state = lock(&self.state);
        let (state, _) = self.changed.wait_timeout_while(state, timeout, |s| s.leading).unwrap_or_else(|p| p.into_inner());
        match (&state.answer, state.leading) {
            (_, true) => Followed::TimedOut,
            (Some(p), false) => Followed::Answer(Box::new(p.clone())),
            (None, false) => Followed::Unanswered,
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    /// Sleep until the generation moves past `seen`, or `timeout`.
    pub(crate) fn wait_past(&self, seen: u64, timeout: Duration) {
        let state = lock(&self.state);
        let _ = self.changed.wait_timeout_while(state, timeout, |s| s.generation == seen);
    }
}

impl Lead<'_> {
    /// What the lead found, for its followers (a settled payment, or one it waited on).
    pub(crate) fn answer(&self, payment: &Payment) {
        lock(&self.flight.state).answer = Some(payment.clone());
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.flight.state);
        state.leading = false;
        state.generation += 1;
        self.flight.changed.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    fn payment(state: crate::model::PaymentState) -> Payment {
        Payment {
            id: "dp_1".into(),
            gateway: crate::model::Gateway::Vandar,
            account: "default".into(),
            invoice_id: "i-1".into(),
            amount: 1000,
            callback_url: "https://shop.test/cb".into(),
            token: None,
            state,
            fence: 1,
            reference: None,
            trace_number: None,
            masked_card: None,
            verified_amount: None,
            note: None,
            created_at: 0,
            updated_at: 0,
            deadline_at: 0,
            paid_at: None,
            acknowledged_at: None,
            unverified_trace_number: None,
        }
    }

    #[test]
    fn one_thread_leads_and_the_others_get_its_answer() {
        let flights = Arc::new(Flights::default());
        let barrier = Arc::new(Barrier::new(16));
        let (leads, tried) = (Arc::new(Mutex::new(0)), Arc::new(std::sync::atomic::AtomicUsize::new(0)));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let (flights, barrier, leads, tried) = (flights.clone(), barrier.clone(), leads.clone(), tried.clone());
                std::thread::spawn(move || {
                    let flight = flights.join("dp_1");
                    barrier.wait();
                    let lead = flight.lead();
                    tried.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    match lead {
                        Some(lead) => {
                            *lock(&leads) += 1;
                            // Lead until every thread has asked, however slowly they were scheduled.
                            let until = Instant::now() + Duration::from_secs(30);
                            while tried.load(std::sync::atomic::Ordering::SeqCst) < 16 && Instant::now() < until {
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            flights.answered("dp_1", Some(&payment(crate::model::PaymentState::Paid)));
                            drop(lead);
                            None
                        }
                        None => Some(flight.follow(Instant::now() + Duration::from_secs(30))),
                    }
                })
            })
            .collect();
        let followed: Vec<_> = threads.into_iter().filter_map(|t| t.join().expect("no panic")).collect();
        assert_eq!(*lock(&leads), 1);
        assert_eq!(followed.len(), 15);
        assert!(followed.iter().all(|f| matches!(f, Followed::Answer(p) if p.state == crate::model::PaymentState::Paid)));
    }

    #[test]
    fn a_follower_learns_whether_the_lead_left_an_answer_and_gives_up_at_its_deadline() {
        let flights = Flights::default();
        let flight = flights.join("dp_1");
        let lead = flight.lead().expect("nobody leads yet");
        assert!(flight.lead().is_none());
        assert!(matches!(flight.follow(Instant::now() + Duration::from_millis(20)), Followed::TimedOut));
        drop(lead);
        assert!(matches!(flight.follow(Instant::now()), Followed::Unanswered));
        // A new lead forgets the last one's answer.
        let lead = flight.lead().expect("free again");
        lead.answer(&payment(crate::model::PaymentState::Awaiting));
        drop(lead);
        assert!(matches!(flight.follow(Instant::now()), Followed::Answer(p) if p.state == crate::model::PaymentState::Awaiting));
        drop(flight.lead());
        assert!(matches!(flight.follow(Instant::now()), Followed::Unanswered));
    }

    #[test]
    fn an_answer_wakes_a_waiter_before_its_timeout() {
        let flights = Arc::new(Flights::default());
        let flight = flights.join("dp_1");
        let seen = flight.generation();
        let notifier = {
            let flights = flights.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                flights.answered("dp_1", None);
            })
        };
        let started = Instant::now();
        flight.wait_past(seen, Duration::from_secs(10));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(flight.generation(), seen + 1);
        notifier.join().expect("no panic");
    }
}
