#![allow(dead_code, reason = "each test crate uses a different subset of these helpers")]

//! Helpers shared by the pricing tests: tariffs from JSON, and sessions written as a list of
//! stretches.

use chargekit_model::pricing::{MeterSample, PricedSession, price_session};
use chargekit_model::{Tariff, TariffDimension};
use time::{Duration, OffsetDateTime};

pub fn tariff(json: &str) -> Tariff {
    let tariff: Tariff = serde_json::from_str(json).expect("tariff JSON");
    tariff.validate().expect("valid tariff");
    tariff
}

/// A session written stretch by stretch, producing the charger's meter samples.
pub struct Timeline {
    samples: Vec<MeterSample>,
    now: OffsetDateTime,
    energy_wh: i64,
}

impl Timeline {
    pub fn starting(at: OffsetDateTime) -> Self {
        Self { samples: Vec::new(), now: at, energy_wh: 0 }
    }

    /// Charges for `seconds`, delivering `wh`, with optional power (W) and current (mA).
    pub fn charge(mut self, seconds: i64, wh: i64, power_w: Option<i64>, current_ma: Option<i64>) -> Self {
        self.samples.push(MeterSample { at: self.now, energy_wh: self.energy_wh, charging: true, power_w, current_ma });
        self.now += Duration::seconds(seconds);
        self.energy_wh += wh;
        self
    }

    pub fn park(mut self, seconds: i64) -> Self {
        self.samples.push(MeterSample::parking(self.now, self.energy_wh));
        self.now += Duration::seconds(seconds);
        self
    }

    pub fn samples(mut self) -> Vec<MeterSample> {
        self.samples.push(MeterSample::parking(self.now, self.energy_wh));
        self.samples
    }

    pub fn price(self, tariff: &Tariff) -> PricedSession {
        price_session(tariff, &self.samples()).expect("priced")
    }
}

/// (excl, incl) totals in minor units.
pub fn totals(s: &PricedSession) -> (i64, i64) {
    (s.cost.total_excl_vat_minor, s.cost.total_incl_vat_minor)
}

/// Net amounts (minor units) and billed quantities of the lines of one dimension, in order.
pub fn lines(s: &PricedSession, d: TariffDimension) -> Vec<(i64, i64)> {
    s.items.iter().filter(|i| i.dimension == d).map(|i| (i.billed_quantity, i.excl_vat_minor)).collect()
}

pub const MIN: i64 = 60;
