//! The receipt screen's data over the FFI: the backend's signed receipt, checked by the core
//! (signature and signed meter data), converted for display. Logic lives in
//! [`crate::receipts`].

use chargekit_model::PricedSession;

use super::{ChargeKit, CostLine, Result, cost_line};
use crate::receipts::{CheckedReceipt, MeterDataStatus, SignatureCheck};

/// Whether the receipt is the backend's, unaltered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ReceiptSignature {
    Genuine,
    /// Changed after it was signed: do not show it as a valid receipt.
    Tampered { reason: String },
    /// Signed by a key this app was never given.
    UnknownKey { key_id: String },
}

/// What the charger's signed meter data (Eichrecht) says about the energy billed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ReceiptMeterData {
    NotSigned,
    Verified { meter_serial: Option<String>, energy_wh: i64 },
    Invalid { reason: String },
    Unsupported { algorithm: String },
    NoMeterKey,
}

/// A stretch of the session priced by the same tariff elements.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceiptPeriod {
    pub start_offset_seconds: i64,
    pub duration_seconds: i64,
    pub energy_wh: i64,
    /// Charging (priced by time) or parked (priced by parking time).
    pub charging: bool,
}

/// A finished session's receipt. Money in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReceiptInfo {
    pub session_id: String,
    pub evse_id: String,
    /// Unix seconds.
    pub issued_at: i64,
    pub started_at: i64,
    pub ended_at: i64,
    pub energy_wh: i64,
    pub charging_seconds: i64,
    pub parking_seconds: i64,
    pub currency: String,
    pub currency_digits: u32,
    pub lines: Vec<CostLine>,
    pub total_excl_vat_minor: i64,
    pub total_vat_minor: i64,
    pub total_incl_vat_minor: i64,
    pub periods: Vec<ReceiptPeriod>,
    pub tariff_id: String,
    pub signature: ReceiptSignature,
    pub meter_data: ReceiptMeterData,
}

#[uniffi::export]
impl ChargeKit {
    /// The receipt of a finished session, with the core's verdict on its signature and signed
    /// meter data. Offline, the cached receipt (checked again).
    pub async fn receipt(&self, session_id: String) -> Result<ReceiptInfo> {
        self.run(|core| async move { core.receipt(&session_id).await.map(receipt_info) }).await
    }
}

fn receipt_info(checked: CheckedReceipt) -> ReceiptInfo {
    let CheckedReceipt { receipt, signature, meter_data } = checked;
    let PricedSession { cost, charging_periods, .. } = &receipt.priced;
    ReceiptInfo {
        session_id: receipt.session_id.to_string(),
        evse_id: receipt.evse_id.to_string(),
        issued_at: receipt.issued_at.unix_timestamp(),
        started_at: receipt.priced.start_date_time.unix_timestamp(),
        ended_at: receipt.priced.end_date_time.unix_timestamp(),
        energy_wh: receipt.priced.total_energy_wh,
        charging_seconds: receipt.priced.total_time_seconds,
        parking_seconds: receipt.priced.total_parking_time_seconds,
        currency: cost.currency.to_string(),
        currency_digits: cost.currency.minor_digits(),
        lines: cost.items.iter().map(cost_line).collect(),
        total_excl_vat_minor: cost.total_excl_vat_minor,
        total_vat_minor: cost.total_vat_minor,
        total_incl_vat_minor: cost.total_incl_vat_minor,
        periods: charging_periods
            .iter()
            .map(|p| ReceiptPeriod {
                start_offset_seconds: p.start_offset_seconds,
                duration_seconds: p.duration_seconds,
                energy_wh: p.energy_wh,
                charging: p.charging,
            })
            .collect(),
        tariff_id: receipt.priced.tariff_id.clone(),
        signature: match signature {
            SignatureCheck::Genuine => ReceiptSignature::Genuine,
            SignatureCheck::Tampered { reason } => ReceiptSignature::Tampered { reason },
            SignatureCheck::UnknownKey { key_id } => ReceiptSignature::UnknownKey { key_id },
        },
        meter_data: match meter_data {
            MeterDataStatus::NotSigned => ReceiptMeterData::NotSigned,
            MeterDataStatus::Verified { meter_serial, energy_wh } => ReceiptMeterData::Verified { meter_serial, energy_wh },
            MeterDataStatus::Invalid { reason } => ReceiptMeterData::Invalid { reason },
            MeterDataStatus::Unsupported { algorithm } => ReceiptMeterData::Unsupported { algorithm },
            MeterDataStatus::NoMeterKey => ReceiptMeterData::NoMeterKey,
        },
    }
}
