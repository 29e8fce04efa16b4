//! The find-charger screen: the driver scans a QR code, taps an NFC tag or types an EVSE ID; the
//! core reads it, looks the charger up with the ways to pay, and starts charging.
//!
//! `idle → looking → found | failed`, then `found → starting → started | failed`. Every intent
//! supersedes the requests still under way: only the answer to the latest is shown. When the
//! screen is shown, a session going on (after a restart, or started at the charger with a card
//! or by the car) is offered — unless the driver has begun a search meanwhile.
//!
//! [`FindCharger`] is the state machine (pure, tested here); [`FindChargerFlow`] makes its
//! requests to the backend and feeds the answers back.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::cell::ScreenCell;
use super::charger::{self, ChargerScreen};
use super::payment::{self, PaymentChoiceScreen};
use crate::engine::Core;
use crate::error::CoreError;
use crate::ffi::{AuthMethod, Payment, auth_method};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct FindChargerScreen {
    pub step: FindChargerStep,
    /// How to pay at the charger found: the default checked until the driver picks one.
    pub payment: PaymentChoiceScreen,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum FindChargerStep {
    Idle,
    /// The EVSE ID as read, being looked up.
    Looking { evse_id: String },
    Found { charger: ChargerScreen },
    Starting { charger: ChargerScreen },
    /// Charging was requested: the live session screen takes over.
    Started { session_id: String },
    /// A session is going on already — also one a card at the charger or the car (Plug &
    /// Charge) started (`auth_method`): offer to show it.
    Ongoing { session_id: String, evse_id: String, auth_method: AuthMethod },
    /// The core's sentence; after a refused start (too little in the wallet, a declined card,
    /// nothing started), with the charger it was refused at.
    Failed { message: String, charger: Option<ChargerScreen> },
}

/// An answer is applied only while no newer intent has come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

#[derive(Debug, Clone)]
pub(crate) struct FindCharger {
    pub(crate) screen: FindChargerScreen,
    intents: u64,
}

impl FindCharger {
    pub(crate) fn new() -> Self {
        Self { screen: FindChargerScreen { step: FindChargerStep::Idle, payment: payment::none() }, intents: 0 }
    }

    fn next(&mut self) -> Ticket {
        self.intents += 1;
        Ticket(self.intents)
    }

    fn is_current(&self, ticket: Ticket) -> bool {
        ticket.0 == self.intents
    }

    /// What was scanned, tapped or typed, as the core read it: the EVSE ID to look up.
    pub(crate) fn search(&mut self, read: Result<String, String>) -> Option<(Ticket, String)> {
        let ticket = self.next();
        match read {
            Ok(evse_id) => {
                self.screen.step = FindChargerStep::Looking { evse_id: evse_id.clone() };
                Some((ticket, evse_id))
            }
            Err(message) => {
                self.screen.step = FindChargerStep::Failed { message, charger: None };
                None
            }
        }
    }

    pub(crate) fn looked_up(&mut self, ticket: Ticket, found: Result<(ChargerScreen, PaymentChoiceScreen), String>) {
        if !self.is_current(ticket) {
            return;
        }
        self.screen.step = match found {
            Ok((charger, payment)) => {
                self.screen.payment = payment;
                FindChargerStep::Found { charger }
            }
            Err(message) => FindChargerStep::Failed { message, charger: None },
        };
    }

    pub(crate) fn choose(&mut self, chosen: Payment) {
        self.screen.payment = payment::select(std::mem::replace(&mut self.screen.payment, payment::none()), chosen);
    }

    /// The screen is shown: when idle, whether a session is going on is worth asking.
    pub(crate) fn shown(&self) -> Option<Ticket> {
        (self.screen.step == FindChargerStep::Idle).then_some(Ticket(self.intents))
    }

    pub(crate) fn ongoing(&mut self, ticket: Ticket, active: Option<(String, String, AuthMethod)>) {
        if let Some((session_id, evse_id, auth_method)) = active
            && self.is_current(ticket)
            && self.screen.step == FindChargerStep::Idle
        {
            self.screen.step = FindChargerStep::Ongoing { session_id, evse_id, auth_method };
        }
    }

    /// Start, once, at the charger found (a second tap while starting asks nothing).
    pub(crate) fn start(&mut self) -> Option<(Ticket, String, Payment)> {
        let FindChargerStep::Found { charger } = &self.screen.step else { return None };
        let charger = charger.clone();
        let ticket = self.next();
        let request = (ticket, charger.evse_id.clone(), self.screen.payment.selected.clone());
        self.screen.step = FindChargerStep::Starting { charger };
        Some(request)
    }

    pub(crate) fn started(&mut self, ticket: Ticket, started: Result<String, String>) {
        if !self.is_current(ticket) {
            return;
        }
        let charger = match &self.screen.step {
            FindChargerStep::Starting { charger } => Some(charger.clone()),
            _ => None,
        };
        self.screen.step = match started {
            Ok(session_id) => FindChargerStep::Started { session_id },
            Err(message) => FindChargerStep::Failed { message, charger },
        };
    }

    /// Back to the start (an error dismissed, the screen shown again): answers under way are dropped.
    pub(crate) fn reset(&mut self) {
        self.next();
        self.screen.step = FindChargerStep::Idle;
    }
}

/// The find-charger screen against the backend.
pub(crate) struct FindChargerFlow {
    core: Arc<Core>,
    cell: ScreenCell<FindCharger>,
}

impl FindChargerFlow {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core, cell: ScreenCell::new(FindCharger::new()) }
    }

    pub(crate) fn screen(&self) -> FindChargerScreen {
        self.cell.get().screen
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<FindCharger> {
        self.cell.subscribe()
    }

    /// What was read (an EVSE ID, or why the input is none): at once, in the order the driver
    /// acted; the lookup follows with [`Self::look_up`].
    pub(crate) fn search(&self, read: Result<String, String>) -> Option<(Ticket, String)> {
        self.cell.update(|m| m.search(read))
    }

    pub(crate) async fn look_up(&self, (ticket, evse_id): (Ticket, String)) {
        let found = async {
            let charger = charger::screen(&self.core.evse(&evse_id).await?);
            let payment = payment::load(&self.core, &charger.currency).await;
            Ok::<_, CoreError>((charger, payment))
        };
        let found = found.await.map_err(|e| e.to_string());
        self.cell.update(|m| m.looked_up(ticket, found));
    }

    pub(crate) fn choose(&self, chosen: Payment) {
        self.cell.update(|m| m.choose(chosen));
    }

    pub(crate) fn shown(&self) -> Option<Ticket> {
        self.cell.get().shown()
    }

    /// Offers a session going on; when it cannot be asked now (offline), nothing is offered.
    pub(crate) async fn offer_ongoing(&self, ticket: Ticket) {
        let active = self.core.active_session().await.ok().flatten();
        let active = active.map(|s| (s.id.to_string(), s.evse_id.to_string(), auth_method(s.auth_method)));
        self.cell.update(|m| m.ongoing(ticket, active));
    }

    /// The Start tap, at once; the request follows with [`Self::request_start`].
    pub(crate) fn start(&self) -> Option<(Ticket, String, Payment)> {
        self.cell.update(FindCharger::start)
    }

    pub(crate) async fn request_start(&self, (ticket, evse_id, payment): (Ticket, String, Payment)) {
        let started = self.core.start_paid_session(&evse_id, payment.choice()).await.map(|s| s.id.to_string()).map_err(|e| e.to_string());
        self.cell.update(|m| m.started(ticket, started));
    }

    pub(crate) fn reset(&self) {
        self.cell.update(FindCharger::reset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::charger::tests::evse;

    fn found(machine: &mut FindCharger, evse_id: &str) -> Ticket {
        let (ticket, read) = machine.search(Ok(evse_id.into())).unwrap();
        assert_eq!(machine.screen.step, FindChargerStep::Looking { evse_id: read });
        ticket
    }

    fn charger() -> ChargerScreen {
        charger::screen(&evse("Available", true))
    }

    #[test]
    fn an_unreadable_input_fails_at_once_with_the_cores_sentence() {
        let mut machine = FindCharger::new();
        assert!(machine.search(Err("No EVSE ID in this code.".into())).is_none());
        assert_eq!(machine.screen.step, FindChargerStep::Failed { message: "No EVSE ID in this code.".into(), charger: None });
    }

    #[test]
    fn a_newer_search_supersedes_one_under_way() {
        let mut machine = FindCharger::new();
        let first = found(&mut machine, "DE*CKT*E0001*1");
        let second = found(&mut machine, "DE*CKT*E0002*1");
        machine.looked_up(second, Err("No such charger.".into()));
        machine.looked_up(first, Ok((charger(), payment::none())));
        assert_eq!(machine.screen.step, FindChargerStep::Failed { message: "No such charger.".into(), charger: None });
    }

    #[test]
    fn start_once_from_a_found_charger_and_a_refusal_keeps_the_charger() {
        let mut machine = FindCharger::new();
        assert!(machine.start().is_none(), "nothing found, nothing to start");
        let ticket = found(&mut machine, "DE*CKT*E0001*1");
        machine.looked_up(ticket, Ok((charger(), payment::none())));
        machine.choose(Payment::Wallet);
        let (ticket, evse_id, payment) = machine.start().unwrap();
        assert_eq!((evse_id.as_str(), payment), ("DE*CKT*E0001*1", Payment::Wallet));
        assert!(machine.start().is_none(), "a double tap starts once");
        machine.started(ticket, Err("Too little in the wallet.".into()));
        assert_eq!(machine.screen.step, FindChargerStep::Failed { message: "Too little in the wallet.".into(), charger: Some(charger()) });
    }

    #[test]
    fn a_session_going_on_is_offered_only_on_an_idle_screen() {
        let active = || Some(("s1".to_owned(), "DE*CKT*E0001*1".to_owned(), AuthMethod::Rfid));
        let mut machine = FindCharger::new();
        let shown = machine.shown().unwrap();
        machine.ongoing(shown, active());
        assert!(matches!(machine.screen.step, FindChargerStep::Ongoing { auth_method: AuthMethod::Rfid, .. }));

        // The driver scanned while the check was under way: the search stays.
        let mut machine = FindCharger::new();
        let shown = machine.shown().unwrap();
        found(&mut machine, "DE*CKT*E0001*1");
        machine.ongoing(shown, active());
        assert!(matches!(machine.screen.step, FindChargerStep::Looking { .. }));
        assert!(machine.shown().is_none(), "a search under way is left alone");
    }

    #[test]
    fn a_reset_drops_the_answer_under_way() {
        let mut machine = FindCharger::new();
        let ticket = found(&mut machine, "DE*CKT*E0001*1");
        machine.reset();
        machine.looked_up(ticket, Ok((charger(), payment::none())));
        assert_eq!(machine.screen.step, FindChargerStep::Idle);
    }
}
