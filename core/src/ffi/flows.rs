//! The screens that take commands, over the FFI: find a charger, cards & contracts, the
//! wallet. Each is an object holding its screen's state ([`crate::screens`] decides it): a
//! listener gets the state at once and after every change, and each intent is a method. An
//! async intent returns once its requests are answered and the state shows the outcome.
//!
//! The step an intent takes at once (e.g. "looking", the Start tap) is taken when the method is
//! first polled, on the caller's thread, so intents take effect in the order they are made.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chargekit_model::EvseId;
use chargekit_model::api::NewCard;
use tokio::runtime::Handle;
use tokio::sync::watch;

use super::identify::NdefRecordParts;
use super::{ChargeKit, Payment, TaskHandle};
use crate::engine::parse_evse_id;
use crate::screens::cards::{self, CardsCommand, CardsScreen};
use crate::screens::find_charger::{self, FindChargerScreen};
use crate::screens::wallet::{self, WalletCommand, WalletState};
use crate::screens::MoneyAmount;

#[uniffi::export(with_foreign)]
pub trait FindChargerListener: Send + Sync {
    fn on_update(&self, screen: FindChargerScreen);
}

#[uniffi::export(with_foreign)]
pub trait CardsListener: Send + Sync {
    fn on_update(&self, screen: CardsScreen);
}

#[uniffi::export(with_foreign)]
pub trait WalletListener: Send + Sync {
    fn on_update(&self, state: WalletState);
}

#[uniffi::export]
impl ChargeKit {
    /// The find-charger screen, idle. Each screen keeps the core running while it is alive.
    pub fn find_charger_flow(self: Arc<Self>) -> Arc<FindChargerFlow> {
        Arc::new(FindChargerFlow { flow: Arc::new(find_charger::FindChargerFlow::new(self.core.clone())), runtime: Runtime::of(self) })
    }

    /// The cards & contracts screen, loading (call `refresh`).
    pub fn cards_flow(self: Arc<Self>) -> Arc<CardsFlow> {
        Arc::new(CardsFlow { flow: Arc::new(cards::CardsFlow::new(self.core.clone())), runtime: Runtime::of(self) })
    }

    /// The wallet screen, loading (call `refresh`), with top-ups of `top_up_amounts` (major
    /// units of `currency`, the market the app serves).
    pub fn wallet_flow(self: Arc<Self>, currency: String, top_up_amounts: Vec<i64>) -> Arc<WalletFlow> {
        let flow = wallet::WalletFlow::new(self.core.clone(), currency, top_up_amounts);
        Arc::new(WalletFlow { flow: Arc::new(flow), runtime: Runtime::of(self) })
    }
}

/// Hands a flow's state to a listener: now, then after every change, until the handle is
/// cancelled. A slow listener may skip a state, never the newest.
pub(crate) fn observe<M, S>(runtime: &Handle, mut states: watch::Receiver<M>, view: impl Fn(&M) -> S + Send + 'static, listener: impl Fn(S) + Send + 'static) -> Arc<TaskHandle>
where
    M: Send + Sync + 'static,
{
    let task = runtime.spawn(async move {
        loop {
            let shown = view(&states.borrow_and_update());
            listener(shown);
            if states.changed().await.is_err() {
                return;
            }
        }
    });
    Arc::new(TaskHandle { task: Mutex::new(Some(task)) })
}

/// Where a screen runs its requests: the core's runtime, kept running while the screen is alive
/// (the app may let go of the `ChargeKit` object before it lets go of a screen).
struct Runtime {
    handle: Handle,
    _owner: Arc<ChargeKit>,
}

impl Runtime {
    fn of(owner: Arc<ChargeKit>) -> Self {
        Self { handle: owner.core.runtime.clone(), _owner: owner }
    }
}

/// Runs an intent's requests on the core's runtime and waits for them from any executor.
async fn on_runtime(runtime: &Runtime, work: impl Future<Output = ()> + Send + 'static) {
    // A task fails only when the core shuts down, which it does not while a screen holds it.
    let _ = runtime.handle.spawn(work).await;
}

/// Why an input is no EVSE ID, in the driver's words.
fn read(evse_id: Result<String, impl std::fmt::Display>) -> Result<String, String> {
    evse_id.map_err(|e| e.to_string())
}

#[derive(uniffi::Object)]
pub struct FindChargerFlow {
    flow: Arc<find_charger::FindChargerFlow>,
    runtime: Runtime,
}

#[uniffi::export]
impl FindChargerFlow {
    pub fn state(&self) -> FindChargerScreen {
        self.flow.screen()
    }

    pub fn observe(&self, listener: Arc<dyn FindChargerListener>) -> Arc<TaskHandle> {
        observe(&self.runtime.handle, self.flow.subscribe(), |m| m.screen.clone(), move |s| listener.on_update(s))
    }

    /// A QR code's payload, an NFC tag's text or URI, or a typed EVSE ID.
    pub async fn scanned(&self, payload: String) {
        self.search(read(parse_evse_id(&payload).map(|id| id.to_string()))).await
    }

    /// A whole NDEF message read from a tag (Android's `NdefMessage.toByteArray()`).
    pub async fn ndef_message(&self, message: Vec<u8>) {
        self.search(read(EvseId::from_ndef(&message).map(String::from))).await
    }

    /// A tag's NDEF records as the platform parsed them (CoreNFC's `NFCNDEFPayload`s).
    pub async fn ndef_records(&self, records: Vec<NdefRecordParts>) {
        let parts = records.iter().map(|r| (r.tnf, r.record_type.as_slice(), r.payload.as_slice()));
        self.search(read(EvseId::from_ndef_records(parts).map(String::from))).await
    }

    /// The driver picked how to pay (`Default` again: the default method).
    pub fn choose_payment(&self, payment: Payment) {
        self.flow.choose(payment)
    }

    /// The screen is shown: a session going on is offered, unless a search is under way.
    pub async fn shown(&self) {
        let Some(ticket) = self.flow.shown() else { return };
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.offer_ongoing(ticket).await }).await
    }

    /// Starts charging at the charger found, paying as chosen; a second tap starts nothing.
    pub async fn start(&self) {
        let Some(request) = self.flow.start() else { return };
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.request_start(request).await }).await
    }

    /// Back to idle (an error dismissed, the screen shown again); answers under way are dropped.
    pub fn reset(&self) {
        self.flow.reset()
    }
}

impl FindChargerFlow {
    async fn search(&self, read: Result<String, String>) {
        let Some(search) = self.flow.search(read) else { return };
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.look_up(search).await }).await
    }
}

#[derive(uniffi::Object)]
pub struct CardsFlow {
    flow: Arc<cards::CardsFlow>,
    runtime: Runtime,
}

#[uniffi::export]
impl CardsFlow {
    pub fn state(&self) -> CardsScreen {
        self.flow.screen()
    }

    pub fn observe(&self, listener: Arc<dyn CardsListener>) -> Arc<TaskHandle> {
        observe(&self.runtime.handle, self.flow.subscribe(), CardsScreen::clone, move |s| listener.on_update(s))
    }

    pub async fn refresh(&self) {
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.refresh().await }).await
    }

    /// The UID of a tag the phone's NFC reader saw (`Tag.id`, CoreNFC's `identifier`): offered
    /// to add, or the reason it is no card.
    pub fn card_tapped(&self, uid: Vec<u8>) {
        self.flow.card_tapped(uid)
    }

    /// Adds the card tapped last, with a name (blank: none).
    pub async fn add_tapped_card(&self, label: Option<String>) {
        self.run(CardsCommand::AddTappedCard { label }).await
    }

    pub fn discard_tapped_card(&self) {
        self.flow.discard_tapped_card()
    }

    /// Adds a card by the UID printed on it, as typed.
    pub async fn add_typed_card(&self, uid: String, label: Option<String>) {
        self.run(CardsCommand::AddTypedCard { uid, label }).await
    }

    /// Adds a Plug & Charge contract: its certificate file (PEM or DER, with its sub-CAs) and
    /// the mobility operator's root; the core checks the chain before anything is sent.
    pub async fn add_contract(&self, certificate: Vec<u8>, mo_root: Vec<u8>, label: Option<String>) {
        self.run(CardsCommand::AddContract { certificate, mo_root, label }).await
    }

    /// Blocks a lost card or contract at every charger, or makes it active again.
    pub async fn set_blocked(&self, id_tag: String, blocked: bool) {
        self.run(CardsCommand::SetBlocked { id_tag, blocked }).await
    }

    pub async fn remove(&self, id_tag: String) {
        self.run(CardsCommand::Remove { id_tag }).await
    }

    pub fn dismiss_notice(&self) {
        self.flow.dismiss_notice()
    }
}

impl CardsFlow {
    async fn run(&self, command: CardsCommand) {
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.run(command).await }).await
    }
}

#[derive(uniffi::Object)]
pub struct WalletFlow {
    flow: Arc<wallet::WalletFlow>,
    runtime: Runtime,
}

#[uniffi::export]
impl WalletFlow {
    pub fn state(&self) -> WalletState {
        self.flow.state()
    }

    pub fn observe(&self, listener: Arc<dyn WalletListener>) -> Arc<TaskHandle> {
        observe(&self.runtime.handle, self.flow.subscribe(), WalletState::clone, move |s| listener.on_update(s))
    }

    pub async fn refresh(&self) {
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.refresh().await }).await
    }

    /// Tops the wallet up by `amount`: test money with no card (where the backend allows it),
    /// or paid by the card `payment_method_id`. Safe to repeat after a network error.
    pub async fn top_up(&self, amount: MoneyAmount, payment_method_id: Option<String>) {
        self.run(WalletCommand::TopUp { amount, payment_method_id }).await
    }

    /// Makes a method (a `WalletMethodScreen`'s `payment`) the default for starts naming none.
    pub async fn make_default(&self, payment: Payment) {
        self.run(WalletCommand::MakeDefault { payment }).await
    }

    /// A card the card provider's SDK has set up: its payment-method id, brand and last four digits.
    pub async fn add_card(&self, payment_method_id: String, brand: Option<String>, last4: Option<String>) {
        self.run(WalletCommand::AddCard(NewCard { payment_method_id, brand, last4 })).await
    }

    pub fn dismiss_message(&self) {
        self.flow.dismiss_message()
    }
}

impl WalletFlow {
    async fn run(&self, command: WalletCommand) {
        let flow = self.flow.clone();
        on_runtime(&self.runtime, async move { flow.run(command).await }).await
    }
}
