//! ChargeKit's shared vocabulary, with no I/O: identifiers, money, OCPI-shaped tariffs and the
//! one pricing engine, sessions, driver API messages and OCPP 1.6J messages. The server, the
//! core and the simulator all speak through these types.

pub mod api;
pub mod connector;
pub mod driver_events;
pub mod ids;
pub mod meter;
pub mod money;
pub mod ndef;
pub mod ocmf;
pub mod ocpp;
pub mod pricing;
pub mod receipt;
pub mod rfid;
pub mod session;
#[cfg(feature = "sqlx")]
mod sqlx_text;
pub mod tariff;
pub mod zone;

pub use connector::{Availability, ConnectorStatus};
pub use ids::{Emaid, EmaidError, EvseId, EvseIdError};
pub use ndef::NdefError;
pub use rfid::{CardUid, CardUidError};
pub use money::{Currency, Money};
pub use pricing::{
    Cost, CostItem, LiveSession, MeterSample, PricedItem, PricedPeriod, PricedSession, PricingError, SessionUsage, price,
    price_session,
};
pub use session::{AuthMethod, Session, SessionStatus};
pub use zone::{LocalZone, UnknownZone};
pub use tariff::{
    DayOfWeek, Price, PriceComponent, Tariff, TariffDimension, TariffElement, TariffRestrictions, TimeOfDay,
};
