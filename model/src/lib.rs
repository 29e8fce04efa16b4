//! ChargeKit's shared vocabulary, with no I/O: identifiers, money, OCPI-shaped tariffs and the
//! one pricing engine, sessions, driver API messages and OCPP 1.6J messages. The server, the
//! core and the simulator all speak through these types.

pub mod api;
pub mod ids;
pub mod money;
pub mod ocpp;
pub mod pricing;
pub mod session;
pub mod tariff;

pub use ids::{EvseId, EvseIdError};
pub use money::{Currency, Money};
pub use pricing::{Cost, CostItem, SessionUsage, price};
pub use session::{Session, SessionStatus};
pub use tariff::{PriceComponent, Tariff, TariffDimension, TariffElement};
