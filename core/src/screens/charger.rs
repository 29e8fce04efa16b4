//! The "find a charger" screen's charger: whether its connector can be used (offline included)
//! and whether Start can be tapped, with the tariff's prices.

use chargekit_model::api::EvseInfo;
use chargekit_model::{Availability, ConnectorStatus};
use serde::{Deserialize, Serialize};

use super::{UnitPrice, unit_price};

/// Whether the connector can be used, as the driver reads it (never a raw OCPP status name):
/// the model's one classification ([`Availability`]), as it crosses the FFI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum ConnectorAvailability {
    /// Free: a session can be started (Available, or plugged in and waiting: Preparing).
    Available,
    /// Taken without charging: the last car still plugged in (Finishing), or reserved.
    Occupied,
    /// A session is on: charging, or paused by the car or the charger.
    Charging,
    Faulted,
    /// Taken out of service.
    Unavailable,
    /// The charger is not connected to the backend.
    Offline,
    /// The charger never said, or said something the backend does not know.
    Unknown,
}

impl From<Availability> for ConnectorAvailability {
    fn from(availability: Availability) -> Self {
        match availability {
            Availability::Available => Self::Available,
            Availability::Occupied => Self::Occupied,
            Availability::Charging => Self::Charging,
            Availability::Faulted => Self::Faulted,
            Availability::Unavailable => Self::Unavailable,
            Availability::Offline => Self::Offline,
            Availability::Unknown => Self::Unknown,
        }
    }
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

/// What the driver sees of a connector: the model's classifier ([`ConnectorStatus::availability`]);
/// a charger that is not connected is offline whatever it said last.
pub(crate) fn availability(online: bool, status: &ConnectorStatus) -> ConnectorAvailability {
    status.availability(online).into()
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
pub(crate) mod tests {
    use super::*;
    use crate::screens::{Fixed, PriceUnit};
    use chargekit_model::EvseId;

    pub(crate) fn evse(status: &str, online: bool) -> EvseInfo {
        EvseInfo {
            evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
            charge_point_id: "CP1".into(),
            connector_id: 1,
            status: ConnectorStatus::parse(status),
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
            ("Charging", ConnectorAvailability::Charging, false),
            ("SuspendedEVSE", ConnectorAvailability::Charging, false),
            ("Finishing", ConnectorAvailability::Occupied, false),
            ("Reserved", ConnectorAvailability::Occupied, false),
            ("Faulted", ConnectorAvailability::Faulted, false),
            ("Unavailable", ConnectorAvailability::Unavailable, false),
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
