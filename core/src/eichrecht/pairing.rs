//! Whether signed records make one transaction: begin and end of the same meter register, on
//! the same meter, for the same identification, in the meter's own order, with the register
//! never running backwards. Pure: it assumes the signatures were checked.

use chargekit_model::ocmf::{MeterStatus, OcmfError, OcmfPayload, OcmfReading, OcmfRecord, Pagination, TransactionEvent};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

/// A transaction whose begin and end the meter signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// `MS` of every record.
    pub meter_serial: Option<String>,
    /// `ID` of every record (an RFID UID, an EMAID, an OCPP idTag).
    pub identification: Option<String>,
    /// The reading that begins the transaction (`TX` = `B`).
    pub begin: OcmfReading,
    /// The reading of the same register that ends it (`TX` = `E`, or a termination).
    pub end: OcmfReading,
    /// End minus begin in Wh, exactly as the meter's readings give it. Some meters resolve
    /// finer than a Wh (KEBA writes kWh with four decimals).
    pub energy_exact_wh: Decimal,
    /// The same in whole Wh, the unit ChargeKit bills in, rounded down: a driver never pays
    /// for energy the meter does not show.
    pub energy_wh: i64,
}

/// Why records do not make one transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("There is no signed meter data for this transaction.")]
    NoRecords,
    #[error("The signed records mix transaction and fiscal records ({previous} and {next}).")]
    PaginationMixed { previous: Pagination, next: Pagination },
    #[error("The signed records repeat or skip back: record {previous} is followed by {next}.")]
    PaginationNotIncreasing { previous: Pagination, next: Pagination },
    #[error("The signed records come from different meters ({first:?} and {other:?}).")]
    MeterChanged { first: Option<String>, other: Option<String> },
    #[error("The signed records are for different identifications ({first} and {other}).")]
    IdentificationChanged { first: String, other: String },
    #[error("The first signed reading does not begin a transaction (its TX is {found}, not B).")]
    NoBegin { found: String },
    #[error("The last signed record has no reading of register {register} that ends the transaction (found TX {found}).")]
    NoEnd { register: String, found: String },
    #[error("A reading in the middle of the transaction is marked {event} (record {pagination}).")]
    UnexpectedEvent { event: char, pagination: Pagination },
    #[error("The meter reported \"{status}\" at the {at} of the transaction; its reading cannot be billed.")]
    MeterStatus { at: &'static str, status: MeterStatus },
    #[error("The energy register went backwards, from {from} Wh to {to} Wh (record {pagination}).")]
    RegisterWentBack { from: Decimal, to: Decimal, pagination: Pagination },
    #[error("{0}")]
    Reading(OcmfError),
    #[error("The energy of this transaction is too large to compute with.")]
    OutOfRange,
}

/// Checks that `records` (signatures already verified, in any order) are one transaction and
/// gives its energy. Records are put in the meter's order by their pagination counter.
pub fn check_pairing(records: &[OcmfRecord]) -> Result<SignedTransaction, PairingError> {
    let mut records: Vec<&OcmfRecord> = records.iter().collect();
    records.sort_by_key(|r| r.payload.pagination.counter);
    let (Some(first), Some(last)) = (records.first().copied(), records.last().copied()) else {
        return Err(PairingError::NoRecords);
    };
    for pair in records.windows(2) {
        let (previous, next) = (pair[0].payload.pagination, pair[1].payload.pagination);
        if previous.kind != next.kind {
            return Err(PairingError::PaginationMixed { previous, next });
        }
        if next.counter <= previous.counter {
            return Err(PairingError::PaginationNotIncreasing { previous, next });
        }
    }
    for record in &records {
        let (a, b) = (&first.payload, &record.payload);
        if a.meter_serial != b.meter_serial {
            return Err(PairingError::MeterChanged { first: a.meter_serial.clone(), other: b.meter_serial.clone() });
        }
        if (&a.identification_type, &a.identification_data) != (&b.identification_type, &b.identification_data) {
            let show = |p: &OcmfPayload| {
                format!(
                    "{} {:?}",
                    p.identification_type.as_deref().unwrap_or("no type"),
                    p.identification_data.as_deref().unwrap_or_default()
                )
            };
            return Err(PairingError::IdentificationChanged { first: show(a), other: show(b) });
        }
    }

    let begin = first.payload.readings.first().ok_or_else(|| PairingError::NoBegin { found: "absent".into() })?;
    if begin.transaction != Some(TransactionEvent::Begin) {
        return Err(PairingError::NoBegin { found: event_name(begin) });
    }
    // The register the transaction is billed on is the begin reading's; other registers in
    // the records (export, duration) are left alone.
    let register = &begin.register;
    let end = last
        .payload
        .readings
        .iter()
        .rev()
        .find(|r| &r.register == register)
        .ok_or_else(|| PairingError::NoEnd { register: register_name(register), found: "absent".into() })?;
    if !end.transaction.is_some_and(|e| e.is_end()) {
        return Err(PairingError::NoEnd { register: register_name(register), found: event_name(end) });
    }
    for (at, reading) in [("begin", begin), ("end", end)] {
        if let Some(status) = reading.status.filter(|s| *s != MeterStatus::Ok) {
            return Err(PairingError::MeterStatus { at, status });
        }
    }

    // Every reading of the register, in order: only the first begins, only the last ends,
    // and the register never goes back.
    let readings: Vec<(&OcmfReading, Pagination)> = records
        .iter()
        .flat_map(|record| record.payload.readings.iter().map(|r| (r, record.payload.pagination)))
        .filter(|(r, _)| &r.register == register)
        .collect();
    let mut previous = begin.value_wh().map_err(PairingError::Reading)?;
    let count = readings.len();
    for (index, (reading, pagination)) in readings.into_iter().enumerate() {
        if let Some(event) = reading.transaction {
            let misplaced = (index != 0 && event == TransactionEvent::Begin)
                || (index + 1 != count && event.is_end());
            if misplaced {
                return Err(PairingError::UnexpectedEvent { event: event.letter(), pagination });
            }
        }
        let value = reading.value_wh().map_err(PairingError::Reading)?;
        if value < previous {
            return Err(PairingError::RegisterWentBack { from: previous, to: value, pagination });
        }
        previous = value;
    }

    let energy_exact_wh = end
        .value_wh()
        .map_err(PairingError::Reading)?
        .checked_sub(begin.value_wh().map_err(PairingError::Reading)?)
        .ok_or(PairingError::OutOfRange)?;
    let energy_wh = energy_exact_wh.floor().to_i64().ok_or(PairingError::OutOfRange)?;
    Ok(SignedTransaction {
        meter_serial: first.payload.meter_serial.clone(),
        identification: first.payload.identification_data.clone(),
        begin: begin.clone(),
        end: end.clone(),
        energy_exact_wh,
        energy_wh,
    })
}

fn event_name(reading: &OcmfReading) -> String {
    reading.transaction.map_or_else(|| "absent".to_owned(), |e| e.letter().to_string())
}

fn register_name(register: &Option<String>) -> String {
    register.clone().unwrap_or_else(|| "(unnamed)".to_owned())
}
