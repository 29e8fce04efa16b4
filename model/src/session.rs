//! A charging session as the driver sees it: status, energy, power, itemized cost.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ids::EvseId;
use crate::pricing::Cost;
use crate::tariff::Tariff;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SessionStatus {
    /// The charger was asked to start; waiting for its StartTransaction.
    Starting,
    Charging,
    /// The charger was asked to stop; waiting for its StopTransaction.
    Stopping,
    Completed,
    /// The session never started (refused, timed out) or ended abnormally.
    Failed,
    /// The charger reported readings that cannot be right (energy beyond the charger's power,
    /// a clock far off, a session longer than allowed): the charging is over, nothing is
    /// billed until the operator has checked it (`review_reason` says why).
    UnderReview,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 6] =
        [Self::Starting, Self::Charging, Self::Stopping, Self::Completed, Self::Failed, Self::UnderReview];

    /// The wire name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Charging => "charging",
            Self::Stopping => "stopping",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::UnderReview => "under_review",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The charger is done with it: no live change will come. A session under review still
    /// gets the operator's decision (completed or failed), which reaches the app as a change of
    /// its history, not through the live stream.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::UnderReview)
    }
}

/// How the driver was identified at the charger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuthMethod {
    /// Started from the app (a remote start with the driver's app idTag).
    #[default]
    App,
    /// The driver's RFID card tapped at the charger.
    Rfid,
    /// The car identified itself with the driver's contract (ISO 15118 Plug & Charge).
    PlugAndCharge,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 3] = [Self::App, Self::Rfid, Self::PlugAndCharge];

    /// The wire name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Rfid => "rfid",
            Self::PlugAndCharge => "plug_and_charge",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

/// One session, live or finished. The SSE stream sends this whole value on every change, and
/// a finished one is the receipt: `cost` was computed by the one pricing engine with `tariff`
/// over `energy_wh` and `duration_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "DE*CKT*E0001*1"))]
    pub evse_id: EvseId,
    pub status: SessionStatus,
    /// When the driver asked to start (the server's clock); history is ordered by it.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When the charger started the transaction (its clock).
    #[serde(with = "time::serde::rfc3339::option")]
    // Always sent, null until known.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime, required = true))]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    // Always sent, null until known.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime, required = true))]
    pub stopped_at: Option<OffsetDateTime>,
    /// Energy delivered so far: the latest meter reading minus meterStart.
    pub energy_wh: i64,
    /// Latest power the charger reported; 0 when not charging.
    pub power_w: i64,
    /// Time priced so far: latest meter timestamp (or stop) minus start, charging and parked.
    pub duration_seconds: i64,
    /// Of `duration_seconds`, the time the car was parked (plugged in, drawing no power: the
    /// charger reported 0 W), billed as `PARKING_TIME`; the rest is charging time (`TIME`). The
    /// same split as the bill's: both read a MeterValue with `meter::sample_of`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub parking_seconds: i64,
    /// What the session costs so far (or in total), in integer minor units.
    pub cost: Cost,
    /// The tariff the session is priced with, as applied.
    pub tariff: Tariff,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// Why the session is held for the operator's review (status `under_review`; kept once
    /// the operator decided). The cost shown is what is billed if the operator approves: it
    /// never includes the readings that could not be right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// How the driver was identified: a session started by a card or by the car appears in
    /// the app like one started from it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub auth_method: AuthMethod,
    /// Bumped on every change; the SSE event id.
    pub version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_match_serde() {
        for status in SessionStatus::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(SessionStatus::from_name(status.as_str()), Some(status));
        }
        assert_eq!(SessionStatus::from_name("nope"), None);
        for method in AuthMethod::ALL {
            assert_eq!(serde_json::to_string(&method).unwrap(), format!("\"{}\"", method.as_str()));
            assert_eq!(AuthMethod::from_name(method.as_str()), Some(method));
        }
    }
}
