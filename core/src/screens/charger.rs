//! The "find a charger" screen's charger: whether its connector can be used (offline included)
//! and whether Start can be tapped, with the tariff's prices.

use chargekit_model::api::EvseInfo;
use serde::{Deserialize, Serialize};

use super::{UnitPrice, unit_price};

/// Whether the connector can be used, as the driver reads it (never a raw OCPP status name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum ConnectorAvailability {
    /// Free (or plugged in and waiting for authorization).
    Available,
    /// A session is going on (charging, suspended, finishing).
    Occupied,
    Reserved,
    /// Faulted or taken out of service.
    OutOfOrder,
    /// The charger is not connected to the backend.
    Offline,
    /// The charger never said, or said something this app does not know.
    Unknown,
}

impl ConnectorAvailability {
    /// Charging can be asked for: free, or of unknown status (the backend still refuses a busy
    /// connector, so the benefit of the doubt costs nothing).
    pub fn can_start(self) -> bool {
        matches!(self, Self::Available | Self::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct ChargerScreen {
    pub evse_id: String,
    pub availability: ConnectorAvailability,
    pub can_start: bool,
    /// The tariff's currency (what the session is billed in).
    pub currency: String,
    /// The tariff's prices, excluding VAT, in its order.
    pub prices: Vec<UnitPrice>,
}

/// The one mapping from a connector's status to what the driver sees. The status is the OCPP
/// 1.6 name as the backend reports it; a charger that is not connected is offline whatever it
/// said last.
pub(crate) fn availability(online: bool, status: &str) -> ConnectorAvailability {
    if !online {
        return ConnectorAvailability::Offline;
    }
    match status {
        "Available" | "Preparing" => ConnectorAvailability::Available,
        "Charging" | "SuspendedEV" | "SuspendedEVSE" | "Finishing" => ConnectorAvailability::Occupied,
        "Reserved" => ConnectorAvailability::Reserved,
        "Faulted" | "Unavailable" => ConnectorAvailability::OutOfOrder,
        _ => ConnectorAvailability::Unknown,
    }
}

pub(crate) fn screen(info: &EvseInfo) -> ChargerScreen {
    let availability = availability(info.online, &info.status);
    let currency = info.tariff.currency;
    ChargerScreen {
        evse_id: info.evse_id.to_string(),
        availability,
        can_start: availability.can_start(),
        currency: currency.to_string(),
        prices: info
            .tariff
            .elements
            .iter()
            .flat_map(|e| &e.price_components)
            .map(|c| unit_price(c.price, currency, c.dimension, c.vat))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screens::{Fixed, PriceUnit};
    use chargekit_model::EvseId;

    pub(crate) fn evse(status: &str, online: bool) -> EvseInfo {
        EvseInfo {
            evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
            charge_point_id: "CP1".into(),
            connector_id: 1,
            status: status.into(),
            online,
            tariff: crate::test_support::tariff(),
        }
    }

    #[test]
    fn an_offline_charger_reads_offline_whatever_it_said_last() {
        let shown = screen(&evse("Available", false));
        assert_eq!((shown.availability, shown.can_start), (ConnectorAvailability::Offline, false));
    }

    #[test]
    fn statuses_map_to_what_the_driver_can_do() {
        for (status, availability, can_start) in [
            ("Available", ConnectorAvailability::Available, true),
            ("Preparing", ConnectorAvailability::Available, true),
            ("Charging", ConnectorAvailability::Occupied, false),
            ("SuspendedEVSE", ConnectorAvailability::Occupied, false),
            ("Finishing", ConnectorAvailability::Occupied, false),
            ("Reserved", ConnectorAvailability::Reserved, false),
            ("Faulted", ConnectorAvailability::OutOfOrder, false),
            ("Unavailable", ConnectorAvailability::OutOfOrder, false),
            ("Unknown", ConnectorAvailability::Unknown, true),
            ("VendorThing", ConnectorAvailability::Unknown, true),
        ] {
            let shown = screen(&evse(status, true));
            assert_eq!((shown.availability, shown.can_start), (availability, can_start), "{status}");
        }
    }

    #[test]
    fn prices_come_with_currency_digits_vat_and_unit() {
        let shown = screen(&evse("Available", true));
        let per: Vec<_> = shown.prices.iter().map(|p| (p.per, p.amount, p.vat_percent)).collect();
        let vat = Some(Fixed { units: 19, scale: 0 });
        assert_eq!(
            per,
            vec![(PriceUnit::PerKilowattHour, Fixed { units: 39, scale: 2 }, vat), (PriceUnit::PerHour, Fixed { units: 120, scale: 2 }, vat)]
        );
    }
}
