//! `chargekit demo`: the driver's whole journey on one machine — an embedded backend on
//! 127.0.0.1 with a temporary SQLite file, a simulated charger, and a driver using the same
//! core the phone apps use.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use chargekit_core::{
    ChargeKit, ConnectorAvailability, CoreConfig, CostKind, MemorySecureStore, ReceiptInfo, ReceiptMeterData, ReceiptSignature, SessionInfo, SessionListener, SessionState,
};
use chargekit_server::{ChargerSeed, PaymentsConfig, ServerConfig};
use chargekit_sim::{MeterKey, MeterSigner, PowerCurve, SimConfig};
use tokio::sync::watch;

use crate::display::{clock, kwh, live_line, money};

const CHARGER_ID: &str = "CKDEMO-0001";
const EVSE_ID: &str = "DE*CKT*E0001*1";
/// What the charger's sticker would carry.
const QR_PAYLOAD: &str = "https://chargekit.example/start?evse=DE%2ACKT%2AE0001%2A1";
/// Redraws a second of the live line on a terminal.
const LIVE_FPS: u32 = 10;
/// The demo wallet's top-up, in euro cents: enough for the server's default hold.
const DEMO_TOP_UP_MINOR: i64 = 5000;

/// How long the stop may take to come back from the charger.
const STOP_WAIT: Duration = Duration::from_secs(30);

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Seconds of charging before the driver taps stop.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=3600))]
    charge_secs: u64,
    /// The simulated charger's power, in kW.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..=1000))]
    power_kw: u32,
    /// Seconds between the charger's meter values.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=60))]
    meter_interval_secs: u64,
}

pub async fn run(args: DemoArgs) -> Result<(), String> {
    let workdir = tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    // The charger's meter signs its readings (Eichrecht); the operator registers its public
    // key with the backend, as from the label of a certified charger.
    let meter = MeterSigner::new(&MeterKey::Generate, CHARGER_ID).map_err(|e| format!("cannot make the meter's key: {e}"))?;
    let config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: workdir.path().join("chargekit.db"),
        chargers: vec![ChargerSeed { meter_public_key: Some(meter.public_key_hex()), ..ChargerSeed::single(CHARGER_ID, EVSE_ID) }],
        // The demo driver pays from a wallet topped up with demo money (no card provider here).
        payments: PaymentsConfig { free_top_ups: true, ..PaymentsConfig::default() },
        ..ServerConfig::default()
    };
    let server = chargekit_server::start(config).await.map_err(|e| e.to_string())?;
    println!("Backend      {} (SQLite in a temporary directory)", server.base_url());

    let mut sim = SimConfig::new(server.ocpp_url(), CHARGER_ID);
    sim.meter_interval = Duration::from_secs(args.meter_interval_secs);
    sim.car.curve = PowerCurve::constant(args.power_kw * 1000);
    sim.signed_meter_values = Some(MeterKey::Pkcs8(meter.pkcs8().to_vec()));
    let charger = chargekit_sim::connect(sim).await.map_err(|e| format!("the simulated charger could not connect: {e}"))?;
    println!("Charger      {CHARGER_ID} connected over OCPP 1.6J, {} kW", args.power_kw);

    let outcome = drive(&server.base_url(), workdir.path(), &args).await;
    charger.shutdown().await;
    server.shutdown().await;
    outcome
}

/// The driver's side, through the app core.
async fn drive(backend_url: &str, workdir: &std::path::Path, args: &DemoArgs) -> Result<(), String> {
    let app = ChargeKit::new(
        CoreConfig { backend_url: backend_url.to_owned(), data_dir: workdir.join("app").display().to_string() },
        Arc::new(MemorySecureStore::new()),
    )
    .map_err(|e| e.to_string())?;
    let account = app.sign_up("driver@chargekit.example".into(), demo_password()).await.map_err(|e| e.to_string())?;
    println!("Driver       signed up as {}", account.email);
    app.top_up(DEMO_TOP_UP_MINOR, "EUR".into(), None).await.map_err(|e| e.to_string())?;
    println!("Wallet       topped up with {} EUR of demo money; a session holds what it may cost and pays what it does", DEMO_TOP_UP_MINOR / 100);

    let evse_id = app.evse_from_qr(QR_PAYLOAD.into()).map_err(|e| e.to_string())?;
    let evse = app.lookup_evse(evse_id.clone()).await.map_err(|e| e.to_string())?;
    let prices: Vec<String> = evse.prices.iter().map(|p| format!("{} {}{}", p.unit_price, evse.currency, per(&p.kind))).collect();
    println!("Scanned QR   {evse_id}: {} ({}), {} + VAT", availability(evse.availability), if evse.online { "online" } else { "offline" }, prices.join(" + "));

    let session = app.start_session(evse_id, chargekit_core::Payment::Default).await.map_err(|e| e.to_string())?;
    println!("Charging     session {} — stopping after {} s\n", session.id, args.charge_secs);

    let (latest_tx, mut latest) = watch::channel(None);
    let tty = std::io::stdout().is_terminal();
    let printer = Arc::new(LivePrinter { tty, latest: latest_tx });
    // On a terminal the line moves smoothly between meter samples; piped, one line per update.
    let handle = if tty {
        app.observe_session_smooth(session.id.clone(), LIVE_FPS, printer)
    } else {
        app.observe_session(session.id.clone(), printer)
    };
    tokio::time::sleep(Duration::from_secs(args.charge_secs)).await;
    app.stop_session(session.id.clone()).await.map_err(|e| e.to_string())?;
    let finished = tokio::time::timeout(STOP_WAIT, latest.wait_for(|s: &Option<SessionInfo>| s.as_ref().is_some_and(|s| is_final(s.state))))
        .await
        .map_err(|_| "the charger did not confirm the stop in time".to_owned())?
        .map_err(|_| "the live updates ended before the session did".to_owned())?
        .clone();
    handle.cancel();
    if std::io::stdout().is_terminal() {
        println!();
    }
    let final_state = finished.map(|s| s.state);
    if final_state != Some(SessionState::Completed) {
        return Err(format!("the session ended as {final_state:?}"));
    }

    let receipt = app.receipt(session.id.clone()).await.map_err(|e| e.to_string())?;
    print_receipt(&receipt);
    let history = app.sync_history(10).await.map_err(|e| e.to_string())?;
    println!("\nHistory ({} session{}, from the phone's offline cache)", history.len(), if history.len() == 1 { "" } else { "s" });
    for s in &history {
        println!("  {}  {}  {:>12}  {:>10}  {:?}", s.evse_id, clock(s.duration_seconds), kwh(s.energy_wh), money(s.cost_minor, &s.currency), s.state);
    }
    Ok(())
}

fn print_receipt(r: &ReceiptInfo) {
    println!("\nReceipt      session {}", r.session_id);
    println!("  Charger    {}", r.evse_id);
    println!("  Energy     {}", kwh(r.energy_wh));
    println!("  Charging   {}", clock(r.charging_seconds));
    if r.parking_seconds > 0 {
        println!("  Parked     {}", clock(r.parking_seconds));
    }
    for line in &r.lines {
        let quantity = match line.kind {
            CostKind::Energy => kwh(line.billed_quantity),
            CostKind::Time | CostKind::Parking => clock(line.billed_quantity),
            CostKind::Flat => "1 session".to_owned(),
        };
        println!(
            "  {:<10} {:>12} × {} {}{}  = {:>10}",
            format!("{:?}", line.kind),
            quantity,
            line.unit_price,
            r.currency,
            per(&line.kind),
            money(line.excl_vat_minor, &r.currency)
        );
    }
    println!("  Net        {:>45}", money(r.total_excl_vat_minor, &r.currency));
    println!("  VAT        {:>45}", money(r.total_vat_minor, &r.currency));
    println!("  Total      {:>45}", money(r.total_incl_vat_minor, &r.currency));
    let signature = match &r.signature {
        ReceiptSignature::Genuine => "genuine: signed by the backend (Ed25519), unaltered".to_owned(),
        ReceiptSignature::Tampered { reason } => format!("NOT VALID: {reason}"),
        ReceiptSignature::UnknownKey { key_id } => format!("NOT VALID: signed by an unknown key {key_id}"),
    };
    println!("  Receipt    {signature}");
    let meter = match &r.meter_data {
        ReceiptMeterData::Verified { meter_serial, energy_wh } => {
            format!("verified: {} signed by meter {}", kwh(*energy_wh), meter_serial.as_deref().unwrap_or("(no serial)"))
        }
        ReceiptMeterData::NotSigned => "not signed by the charger".to_owned(),
        ReceiptMeterData::NoMeterKey => "signed, but no meter key was published to check it".to_owned(),
        ReceiptMeterData::Unsupported { algorithm } => format!("signed with {algorithm}, which this app cannot check"),
        ReceiptMeterData::Invalid { reason } => format!("NOT VALID: {reason}"),
    };
    println!("  Meter data {meter} (Eichrecht, OCMF)");
}

/// The driver's words for a connector's state, as the apps say it (never the OCPP name).
fn availability(availability: ConnectorAvailability) -> &'static str {
    match availability {
        ConnectorAvailability::Available => "free",
        ConnectorAvailability::Occupied => "occupied",
        ConnectorAvailability::Charging => "in use",
        ConnectorAvailability::Faulted => "out of order",
        ConnectorAvailability::Unavailable => "not available",
        ConnectorAvailability::Offline => "offline",
        ConnectorAvailability::Unknown => "status unknown",
    }
}

fn per(kind: &CostKind) -> &'static str {
    match kind {
        CostKind::Energy => "/kWh",
        CostKind::Time | CostKind::Parking => "/h",
        CostKind::Flat => "",
    }
}

fn is_final(state: SessionState) -> bool {
    matches!(state, SessionState::Completed | SessionState::Failed)
}

/// A throwaway password for the throwaway demo account.
fn demo_password() -> String {
    format!("demo-{}", std::process::id()) + "-chargekit"
}

/// Prints each live update: in place on a terminal, one line per update otherwise.
struct LivePrinter {
    tty: bool,
    latest: watch::Sender<Option<SessionInfo>>,
}

impl SessionListener for LivePrinter {
    fn on_update(&self, session: SessionInfo) {
        let line = live_line(&session);
        let mut out = std::io::stdout().lock();
        let _ = if self.tty { write!(out, "\r\x1b[2K  {line}") } else { writeln!(out, "  {line}") };
        let _ = out.flush();
        self.latest.send_replace(Some(session));
    }
}
