//! What goes into the engine (meter samples) and what comes out per stretch of a session
//! (priced charging periods, convertible to OCPI `ChargingPeriod`s for a CDR).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One reading of the charger during a session. The stretch from one sample to the next is
/// charging or parking as this sample says, at this sample's power and current: the engine
/// holds readings until the next sample (a step function), because that is all a live view
/// knows when it has to show a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterSample {
    /// The charger's clock. Sub-second parts are dropped: the engine counts whole seconds.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The energy register, Wh. Only differences count, so `meterStart` need not be removed.
    pub energy_wh: i64,
    /// Whether the EV takes energy from here on (`TIME`) or is parked (`PARKING_TIME`).
    pub charging: bool,
    /// Power from here on, W. Absent: the average of the stretch that follows (0 when parked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_w: Option<i64>,
    /// Current summed over phases from here on, mA. Absent: current restrictions do not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_ma: Option<i64>,
}

impl MeterSample {
    pub fn charging(at: OffsetDateTime, energy_wh: i64) -> Self {
        Self { at, energy_wh, charging: true, power_w: None, current_ma: None }
    }

    pub fn parking(at: OffsetDateTime, energy_wh: i64) -> Self {
        Self { at, energy_wh, charging: false, power_w: None, current_ma: None }
    }

    pub fn with_power_w(self, power_w: i64) -> Self {
        Self { power_w: Some(power_w), ..self }
    }

    pub fn with_current_ma(self, current_ma: i64) -> Self {
        Self { current_ma: Some(current_ma), ..self }
    }
}

/// A stretch of a session over which the same tariff elements applied. The engine cuts the
/// stretch between two samples wherever a restriction may change its verdict (a time of day,
/// midnight, a time-zone transition, a duration or energy threshold), sharing the stretch's
/// energy in proportion to time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedPeriod {
    /// Seconds from the session's start (whole seconds, so cheap and exact; the OCPI shape
    /// carries the date-time).
    pub start_offset_seconds: i64,
    pub duration_seconds: i64,
    pub energy_wh: i64,
    pub charging: bool,
    /// The power the restrictions saw, W.
    pub power_w: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_ma: Option<i64>,
    /// Index in `Tariff::elements` of the element whose `ENERGY` component priced this period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_element: Option<u8>,
    /// Index of the element whose `TIME` (charging) or `PARKING_TIME` (parked) component
    /// priced this period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_element: Option<u8>,
}

/// OCPI `CdrDimensionType` (the ones ChargeKit reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CdrDimensionType {
    Energy,
    MaxCurrent,
    MaxPower,
    MinCurrent,
    MinPower,
    ParkingTime,
    Time,
}

/// OCPI `CdrDimension`: kWh, hours, kW or A.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdrDimension {
    #[serde(rename = "type")]
    pub kind: CdrDimensionType,
    pub volume: Decimal,
}

/// OCPI `ChargingPeriod`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargingPeriod {
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    pub dimensions: Vec<CdrDimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tariff_id: Option<String>,
}

/// Hours are written with 6 decimals (OCPI has no exact way to write one second in hours).
const HOUR_DECIMALS: u32 = 6;

impl PricedPeriod {
    /// The OCPI shape of this period of a session that started at `session_start`, for a CDR.
    pub fn to_ocpi(&self, session_start: OffsetDateTime, tariff_id: &str) -> ChargingPeriod {
        let time_kind = if self.charging { CdrDimensionType::Time } else { CdrDimensionType::ParkingTime };
        let hours = (Decimal::from(self.duration_seconds) / Decimal::from(3600)).round_dp(HOUR_DECIMALS);
        // One reading holds over the period, so its minimum and maximum are that reading.
        let kw = Decimal::new(self.power_w, 3);
        let mut dimensions = vec![
            CdrDimension { kind: CdrDimensionType::Energy, volume: Decimal::new(self.energy_wh, 3) },
            CdrDimension { kind: time_kind, volume: hours },
            CdrDimension { kind: CdrDimensionType::MinPower, volume: kw },
            CdrDimension { kind: CdrDimensionType::MaxPower, volume: kw },
        ];
        if let Some(ma) = self.current_ma {
            let amps = Decimal::new(ma, 3);
            dimensions.push(CdrDimension { kind: CdrDimensionType::MinCurrent, volume: amps });
            dimensions.push(CdrDimension { kind: CdrDimensionType::MaxCurrent, volume: amps });
        }
        // Whole seconds from a start that may have a fraction: drop the fraction like the engine.
        let start = session_start.replace_nanosecond(0).unwrap_or(session_start).to_offset(time::UtcOffset::UTC);
        ChargingPeriod {
            start_date_time: start + time::Duration::seconds(self.start_offset_seconds),
            dimensions,
            tariff_id: Some(tariff_id.to_owned()),
        }
    }
}
