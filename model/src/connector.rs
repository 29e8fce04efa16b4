//! A connector's status as the server keeps it and the app reads it, and the one classifier of
//! what a status means: for a driver (can I charge here?) and for the operator's availability
//! reports (was the connector usable?).
//!
//! On the wire a charger's status is OCPP 1.6's closed `ChargePointStatus`
//! ([`ChargePointStatus`]; a frame with another value is refused by the schema check). What is
//! stored may still be something else: `Unknown` before a connector ever reported, or a text
//! written by another version of the server. Such a value is kept as read
//! ([`ConnectorStatus::Unknown`]), counted as unknown, and never a panic.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ocpp::messages::ChargePointStatus;

/// The text stored (and sent) for a connector that never reported a status.
pub const UNKNOWN_STATUS: &str = "Unknown";

/// A connector's last status: one of OCPP 1.6's, or a text no OCPP 1.6 status is (kept as read).
/// Serialized as the OCPP name; every unknown one as `"Unknown"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConnectorStatus {
    Reported(ChargePointStatus),
    /// Not reported yet (stored as `Unknown`), or a stored text outside OCPP 1.6, as read.
    Unknown(String),
}

impl Default for ConnectorStatus {
    fn default() -> Self {
        Self::Unknown(UNKNOWN_STATUS.to_owned())
    }
}

impl From<ChargePointStatus> for ConnectorStatus {
    fn from(status: ChargePointStatus) -> Self {
        Self::Reported(status)
    }
}

impl ConnectorStatus {
    /// Reads a stored or sent text: an OCPP 1.6 name (exactly, as the schema spells it), else
    /// unknown with the text kept.
    pub fn parse(text: &str) -> Self {
        match ChargePointStatus::from_name(text) {
            Some(status) => Self::Reported(status),
            None => Self::Unknown(text.to_owned()),
        }
    }

    /// The text stored in the database: the OCPP name, or the unknown text as it was read (so
    /// writing a row back never changes what an older or newer version wrote).
    pub fn stored(&self) -> &str {
        match self {
            Self::Reported(status) => status.as_str(),
            Self::Unknown(raw) => raw,
        }
    }

    /// The name shown to operators (API, `/metrics` label): the OCPP name, or `Unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Reported(status) => status.as_str(),
            Self::Unknown(_) => UNKNOWN_STATUS,
        }
    }

    /// What the status means. `online`: whether the charger is connected now (a charger that
    /// is not is offline, whatever it said last).
    pub fn availability(&self, online: bool) -> Availability {
        if !online {
            return Availability::Offline;
        }
        match self {
            Self::Reported(status) => match status {
                ChargePointStatus::Available | ChargePointStatus::Preparing => Availability::Available,
                ChargePointStatus::Finishing | ChargePointStatus::Reserved => Availability::Occupied,
                ChargePointStatus::Charging | ChargePointStatus::SuspendedEV | ChargePointStatus::SuspendedEVSE => {
                    Availability::Charging
                }
                ChargePointStatus::Faulted => Availability::Faulted,
                ChargePointStatus::Unavailable => Availability::Unavailable,
            },
            Self::Unknown(_) => Availability::Unknown,
        }
    }
}

impl fmt::Display for ConnectorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ConnectorStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ConnectorStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(deserializer)?))
    }
}

/// What a connector's status means, the one classification every reader uses: the app (what
/// the driver is shown, whether a start is offered), the availability reports and their
/// figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Availability {
    /// Free for a session: Available, or Preparing (plugged in, waiting for authorization).
    Available,
    /// Working but taken without charging: Finishing (the last car still plugged in) or
    /// Reserved. The availability reports count it as available (the connector is usable);
    /// a driver cannot start here now.
    Occupied,
    /// A session is on: Charging, SuspendedEV or SuspendedEVSE (paused by the car or the
    /// charger). In use.
    Charging,
    Faulted,
    Unavailable,
    /// The charger is not connected to the backend.
    Offline,
    /// Connected, but the connector has not reported a status this server knows.
    Unknown,
}

impl Availability {
    pub const ALL: [Availability; 7] =
        [Self::Available, Self::Occupied, Self::Charging, Self::Faulted, Self::Unavailable, Self::Offline, Self::Unknown];

    /// Whether a driver may try to start a session: free, or not known to be busy (the
    /// backend still refuses a busy one).
    pub fn can_start(self) -> bool {
        matches!(self, Self::Available | Self::Unknown)
    }

    /// Whether the operator's reports count the connector as usable or in use.
    pub fn is_usable(self) -> bool {
        matches!(self, Self::Available | Self::Occupied | Self::Charging)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ocpp_status_reads_back_and_classifies() {
        let expected = [
            (ChargePointStatus::Available, Availability::Available),
            (ChargePointStatus::Preparing, Availability::Available),
            (ChargePointStatus::Finishing, Availability::Occupied),
            (ChargePointStatus::Reserved, Availability::Occupied),
            (ChargePointStatus::Charging, Availability::Charging),
            (ChargePointStatus::SuspendedEV, Availability::Charging),
            (ChargePointStatus::SuspendedEVSE, Availability::Charging),
            (ChargePointStatus::Faulted, Availability::Faulted),
            (ChargePointStatus::Unavailable, Availability::Unavailable),
        ];
        assert_eq!(expected.len(), ChargePointStatus::ALL.len());
        for (status, class) in expected {
            let stored = ConnectorStatus::from(status);
            assert_eq!(ConnectorStatus::parse(stored.stored()), stored);
            assert_eq!(serde_json::to_value(&stored).unwrap(), serde_json::json!(status.as_str()));
            assert_eq!(stored.availability(true), class, "{status:?}");
            assert_eq!(stored.availability(false), Availability::Offline, "{status:?}");
        }
    }

    #[test]
    fn an_unknown_text_is_kept_and_reads_as_unknown() {
        for text in ["Unknown", "Occupied", "available", "", "SuspendedEVSE "] {
            let status = ConnectorStatus::parse(text);
            assert_eq!(status, ConnectorStatus::Unknown(text.to_owned()));
            assert_eq!(status.stored(), text, "written back as read");
            assert_eq!(status.name(), "Unknown");
            assert_eq!(serde_json::to_value(&status).unwrap(), serde_json::json!("Unknown"));
            assert_eq!(status.availability(true), Availability::Unknown);
        }
        let read: ConnectorStatus = serde_json::from_value(serde_json::json!("Bogus")).unwrap();
        assert_eq!(read, ConnectorStatus::Unknown("Bogus".into()));
        assert_eq!(ConnectorStatus::default().stored(), UNKNOWN_STATUS);
    }

    #[test]
    fn starts_are_offered_only_where_free_or_unknown() {
        let startable: Vec<_> = Availability::ALL.into_iter().filter(|a| a.can_start()).collect();
        assert_eq!(startable, [Availability::Available, Availability::Unknown]);
        let usable: Vec<_> = Availability::ALL.into_iter().filter(|a| a.is_usable()).collect();
        assert_eq!(usable, [Availability::Available, Availability::Occupied, Availability::Charging]);
    }
}
