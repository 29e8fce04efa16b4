//! The receipt screen: first the verdict on whether it can be trusted, then one line per item
//! billed (with its billed quantity and VAT), the totals, the periods and what the meter signed.
//! Also the loading rule: only a completed session has a signed receipt to fetch; any other, or
//! one whose receipt cannot be had now, shows the session's own figures, unchecked.

use chargekit_model::{Cost, CostItem, SessionStatus};
use serde::{Deserialize, Serialize};

use super::{MoneyAmount, Quantity, SessionPhase, UnitPrice, billed_quantity, duration, energy, money, phase, unit_price};
use crate::engine::{Core, SessionSnapshot};
use crate::error::CoreError;
use crate::ffi::CostKind;
use crate::receipts::{CheckedReceipt, MeterDataStatus, SignatureCheck};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ReceiptScreen {
    pub session_id: String,
    pub evse_id: String,
    pub phase: SessionPhase,
    /// Unix seconds.
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// When the backend issued the signed receipt.
    pub issued_at: Option<i64>,
    pub energy: Quantity,
    pub duration: Quantity,
    /// Time charging and parked, as billed; absent without a signed receipt.
    pub charging_time: Option<Quantity>,
    pub parking_time: Option<Quantity>,
    pub lines: Vec<ReceiptLineScreen>,
    pub net: MoneyAmount,
    pub vat: MoneyAmount,
    pub total: MoneyAmount,
    pub periods: Vec<ReceiptPeriodScreen>,
    pub verdict: ReceiptVerdict,
    /// The verdict or the meter data is a warning: do not present the receipt as trusted.
    pub warning: bool,
    /// What the charger's signed meter data says; absent without a signed receipt.
    pub meter_data: Option<MeterDataVerdict>,
    pub failure_reason: Option<String>,
    pub review_reason: Option<String>,
}

/// One billed item; the shell names it from `kind` ("Energy", "Charging time", …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ReceiptLineScreen {
    pub kind: CostKind,
    /// As billed, after step rounding: kWh, a duration, or a count for a flat fee.
    pub quantity: Quantity,
    pub unit_price: UnitPrice,
    /// Excluding VAT.
    pub amount: MoneyAmount,
    /// Present when VAT applies to the line (its rate is `unit_price.vat_percent`).
    pub vat: Option<MoneyAmount>,
}

/// A stretch of the session priced alike: from `start` (time since plug-in) for `duration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ReceiptPeriodScreen {
    pub start: Quantity,
    pub duration: Quantity,
    pub energy: Quantity,
    pub charging: bool,
}

/// The core's verdict on the receipt's signature. Only `Verified` is a trusted receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum ReceiptVerdict {
    Verified,
    /// Changed after it was signed, or signed by another key than the one pinned.
    Tampered { reason: String },
    /// Signed by a key this app was never given.
    UnknownKey { key_id: String },
    /// No signed receipt to check: the session did not complete, or the receipt is neither
    /// reachable nor cached (`message`: the core's sentence, if any).
    Unchecked { message: Option<String> },
}

/// What the charger's signed meter data (Eichrecht) says about the energy billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum MeterDataVerdict {
    NotSigned,
    Verified { meter_serial: Option<String>, energy: Quantity },
    /// A warning: the signed values do not hold or do not match the bill.
    Invalid { reason: String },
    Unsupported { algorithm: String },
    NoMeterKey,
}

/// Loads the receipt screen of a session: the session (backend, or the cache offline) and,
/// once completed, its signed receipt checked by the core.
pub(crate) async fn load(core: &Core, session_id: &str) -> Result<ReceiptScreen, CoreError> {
    let session = core.snapshot(core.session(session_id).await?);
    if session.session.status != SessionStatus::Completed {
        return Ok(unsigned(&session, None));
    }
    Ok(match core.receipt(session_id).await {
        Ok(checked) => signed(&session, &checked),
        Err(e) => unsigned(&session, Some(e.to_string())),
    })
}

/// The session's own figures, unchecked (`problem`: why no signed receipt could be had).
pub(crate) fn unsigned(snapshot: &SessionSnapshot, problem: Option<String>) -> ReceiptScreen {
    let s = &snapshot.session;
    let (net, vat, total, lines) = totals(&s.cost);
    ReceiptScreen {
        session_id: s.id.to_string(),
        evse_id: s.evse_id.to_string(),
        phase: phase(snapshot),
        started_at: s.started_at.map(|t| t.unix_timestamp()),
        ended_at: s.stopped_at.map(|t| t.unix_timestamp()),
        issued_at: None,
        energy: energy(s.energy_wh),
        duration: duration(s.duration_seconds),
        charging_time: None,
        parking_time: None,
        lines,
        net,
        vat,
        total,
        periods: Vec::new(),
        verdict: ReceiptVerdict::Unchecked { message: problem },
        warning: false,
        meter_data: None,
        failure_reason: s.failure_reason.clone(),
        review_reason: s.review_reason.clone(),
    }
}

/// The signed receipt as checked, with `snapshot` for where the session stands.
pub(crate) fn signed(snapshot: &SessionSnapshot, checked: &CheckedReceipt) -> ReceiptScreen {
    let receipt = &checked.receipt;
    let priced = &receipt.priced;
    let (net, vat, total, lines) = totals(&priced.cost);
    let verdict = match &checked.signature {
        SignatureCheck::Genuine => ReceiptVerdict::Verified,
        SignatureCheck::Tampered { reason } => ReceiptVerdict::Tampered { reason: reason.clone() },
        SignatureCheck::UnknownKey { key_id } => ReceiptVerdict::UnknownKey { key_id: key_id.clone() },
    };
    let meter_data = match &checked.meter_data {
        MeterDataStatus::NotSigned => MeterDataVerdict::NotSigned,
        MeterDataStatus::Verified { meter_serial, energy_wh } => {
            MeterDataVerdict::Verified { meter_serial: meter_serial.clone(), energy: energy(*energy_wh) }
        }
        MeterDataStatus::Invalid { reason } => MeterDataVerdict::Invalid { reason: reason.clone() },
        MeterDataStatus::Unsupported { algorithm } => MeterDataVerdict::Unsupported { algorithm: algorithm.clone() },
        MeterDataStatus::NoMeterKey => MeterDataVerdict::NoMeterKey,
    };
    let warning = !matches!(verdict, ReceiptVerdict::Verified) || matches!(meter_data, MeterDataVerdict::Invalid { .. });
    ReceiptScreen {
        session_id: receipt.session_id.to_string(),
        evse_id: receipt.evse_id.to_string(),
        phase: phase(snapshot),
        started_at: Some(priced.start_date_time.unix_timestamp()),
        ended_at: Some(priced.end_date_time.unix_timestamp()),
        issued_at: Some(receipt.issued_at.unix_timestamp()),
        energy: energy(priced.total_energy_wh),
        duration: duration((priced.end_date_time - priced.start_date_time).whole_seconds()),
        charging_time: Some(duration(priced.total_time_seconds)),
        parking_time: Some(duration(priced.total_parking_time_seconds)),
        lines,
        net,
        vat,
        total,
        periods: priced
            .charging_periods
            .iter()
            .map(|p| ReceiptPeriodScreen {
                start: duration(p.start_offset_seconds),
                duration: duration(p.duration_seconds),
                energy: energy(p.energy_wh),
                charging: p.charging,
            })
            .collect(),
        verdict,
        warning,
        meter_data: Some(meter_data),
        failure_reason: snapshot.session.failure_reason.clone(),
        review_reason: snapshot.session.review_reason.clone(),
    }
}

/// Net, VAT, total and the lines of a cost.
type Totals = (MoneyAmount, MoneyAmount, MoneyAmount, Vec<ReceiptLineScreen>);

fn totals(cost: &Cost) -> Totals {
    let lines = cost.items.iter().map(|item| line(item, cost)).collect();
    (
        money(cost.total_excl_vat_minor, cost.currency),
        money(cost.total_vat_minor, cost.currency),
        money(cost.total_incl_vat_minor, cost.currency),
        lines,
    )
}

pub(crate) fn line(item: &CostItem, cost: &Cost) -> ReceiptLineScreen {
    let kind = crate::ffi::cost_kind(item.dimension);
    ReceiptLineScreen {
        quantity: billed_quantity(&kind, item.billed_quantity),
        unit_price: unit_price(item.unit_price, cost.currency, item.dimension, item.vat_percent),
        amount: money(item.excl_vat_minor, cost.currency),
        vat: item.vat_percent.map(|_| money(item.vat_minor, cost.currency)),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::live::tests::snapshot;
    use crate::screens::{Fixed, QuantityUnit};
    use chargekit_model::{Currency, TariffDimension};
    use rust_decimal::Decimal;

    fn item(dimension: TariffDimension, billed: i64, price: Decimal, vat: Option<Decimal>, excl: i64, vat_minor: i64) -> CostItem {
        CostItem { dimension, billed_quantity: billed, unit_price: price, vat_percent: vat, excl_vat_minor: excl, vat_minor }
    }

    #[test]
    fn lines_show_the_billed_quantity_price_digits_and_vat() {
        let mut completed = snapshot(SessionStatus::Completed);
        completed.session.cost = Cost {
            currency: Currency::EUR,
            items: vec![
                item(TariffDimension::Energy, 12_345, Decimal::new(39, 2), Some(Decimal::from(19)), 481, 91),
                item(TariffDimension::Flat, 1, Decimal::new(5, 1), None, 50, 0),
            ],
            total_excl_vat_minor: 531,
            total_vat_minor: 91,
            total_incl_vat_minor: 622,
        };
        let shown = unsigned(&completed, Some("offline".into()));
        let energy_line = &shown.lines[0];
        assert_eq!(energy_line.quantity.value, Fixed { units: 12_345, scale: 3 });
        assert_eq!(energy_line.unit_price.amount, Fixed { units: 39, scale: 2 });
        assert_eq!(energy_line.unit_price.vat_percent, Some(Fixed { units: 19, scale: 0 }));
        assert_eq!(energy_line.vat.as_ref().map(|v| v.minor), Some(91));
        let flat = &shown.lines[1];
        assert_eq!((flat.quantity.unit, flat.quantity.value.units), (QuantityUnit::Count, 1));
        assert_eq!(flat.unit_price.amount, Fixed { units: 50, scale: 2 }, "€0.50, not €0.5");
        assert_eq!(flat.vat, None);
        assert_eq!((shown.net.minor, shown.vat.minor, shown.total.minor), (531, 91, 622));
        assert_eq!(shown.verdict, ReceiptVerdict::Unchecked { message: Some("offline".into()) });
        assert!(!shown.warning);
    }

    #[test]
    fn a_failed_session_shows_its_reason_unchecked() {
        let mut failed = snapshot(SessionStatus::Failed);
        failed.session.failure_reason = Some("The charger did not start.".into());
        let shown = unsigned(&failed, None);
        assert_eq!(shown.phase, SessionPhase::Failed);
        assert_eq!(shown.failure_reason.as_deref(), Some("The charger did not start."));
        assert_eq!(shown.verdict, ReceiptVerdict::Unchecked { message: None });
    }
}
