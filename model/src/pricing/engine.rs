//! The running state of a priced session: which price component each piece of the session
//! went to, and how much of it. Quantities stay integers (Wh, seconds) here; money is made only
//! when a bill is asked for ([`super::bill`]), so adding a sample costs no decimal arithmetic.

use rust_decimal::Decimal;

use super::clock::Clock;
use super::periods::{MeterSample, PricedPeriod};
use super::restrictions::{Conditions, Restrictions};
use crate::money::Currency;
use crate::tariff::{Tariff, TariffDimension};

/// Receipt order of the dimensions.
pub(crate) fn rank(d: TariffDimension) -> usize {
    match d {
        TariffDimension::Energy => 0,
        TariffDimension::Time => 1,
        TariffDimension::ParkingTime => 2,
        TariffDimension::Flat => 3,
    }
}

/// One price component of the tariff, where quantities accumulate.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub dimension: TariffDimension,
    pub element: usize,
    pub price: Decimal,
    pub vat: Option<Decimal>,
    pub step: i64,
}

/// A tariff compiled for the engine.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pub tariff_id: String,
    pub currency: Currency,
    pub slots: Vec<Slot>,
    /// Per dimension rank: (element, slot) in element order. OCPI: the first element with a
    /// component of that dimension whose restrictions match prices it.
    by_dimension: [Vec<(u32, u32)>; 4],
    restrictions: Restrictions,
    /// `None`: no clock (the totals-only [`super::price`]); clock-restricted elements never apply.
    clock: Option<Clock>,
    /// (from, until, mask) of the clock verdicts last computed.
    clock_cache: Option<(i64, i64, u64)>,
}

impl Engine {
    pub fn new(tariff: &Tariff, clock: Option<Clock>) -> Self {
        let mut slots = Vec::new();
        let mut by_dimension: [Vec<(u32, u32)>; 4] = Default::default();
        for (element, e) in tariff.elements.iter().enumerate() {
            for c in &e.price_components {
                by_dimension[rank(c.dimension)].push((element as u32, slots.len() as u32));
                slots.push(Slot {
                    dimension: c.dimension,
                    element,
                    price: c.price,
                    vat: c.vat,
                    // OCPI: the minimum billable unit; 0 (the free-of-charge example) is read as 1.
                    step: i64::from(c.step_size.max(1)),
                });
            }
        }
        Self {
            tariff_id: tariff.id.clone(),
            currency: tariff.currency,
            slots,
            by_dimension,
            restrictions: Restrictions::new(tariff),
            clock,
            clock_cache: None,
        }
    }

    fn pick(&self, dimension: TariffDimension, mask: u64) -> Option<u32> {
        self.by_dimension[rank(dimension)].iter().find(|(el, _)| mask >> el & 1 == 1).map(|&(_, slot)| slot)
    }

    /// Clock verdicts at `t` and until when they hold.
    fn clock_mask(&mut self, t: i64) -> (u64, i64) {
        if let Some((from, until, mask)) = self.clock_cache
            && from <= t
            && t < until
        {
            return (mask, until);
        }
        let (mask, until) = match self.clock.as_mut() {
            Some(clock) if self.restrictions.has_clock() => {
                let local = clock.at(t);
                (self.restrictions.clock_mask(Some(&local)), self.restrictions.next_clock_change(t, &local))
            }
            _ => (self.restrictions.clock_mask(None), i64::MAX),
        };
        self.clock_cache = Some((t, until, mask));
        (mask, until)
    }
}

/// What a session accumulated so far.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub start: i64,
    pub now: i64,
    pub energy_wh: i64,
    pub charging_seconds: i64,
    pub parking_seconds: i64,
    /// Per slot: Wh, seconds, or 1 for a flat fee charged.
    pub qty: Vec<i64>,
    seen: Vec<bool>,
    /// Slots in the order they first applied: the receipt lists them so within a dimension.
    pub seen_order: Vec<u32>,
    flat_charged: bool,
    /// The slot that priced the last energy delivered: its step_size rounds the energy total.
    pub last_energy_slot: Option<u32>,
    /// The slot that priced the last second of time (charging or parking): its step_size
    /// rounds the total of its own dimension.
    pub last_time_slot: Option<u32>,
    pub periods: Option<Vec<PricedPeriod>>,
}

impl State {
    /// A session starting at `start`. The components that apply at the first instant are
    /// registered at once, so a start fee shows before the first meter value.
    pub fn start(engine: &mut Engine, start: i64, first: &MeterSample, record_periods: bool) -> Self {
        let n = engine.slots.len();
        let mut state = Self {
            start,
            now: start,
            energy_wh: 0,
            charging_seconds: 0,
            parking_seconds: 0,
            qty: vec![0; n],
            seen: vec![false; n],
            seen_order: Vec::new(),
            flat_charged: false,
            last_energy_slot: None,
            last_time_slot: None,
            periods: record_periods.then(Vec::new),
        };
        state.advance(engine, first, start, 0);
        state
    }

    /// A copy that records no periods: what-if pricing at display rate copies the counters
    /// only, however long the session.
    pub fn unrecorded(&self) -> Self {
        Self {
            start: self.start,
            now: self.now,
            energy_wh: self.energy_wh,
            charging_seconds: self.charging_seconds,
            parking_seconds: self.parking_seconds,
            qty: self.qty.clone(),
            seen: self.seen.clone(),
            seen_order: self.seen_order.clone(),
            flat_charged: self.flat_charged,
            last_energy_slot: self.last_energy_slot,
            last_time_slot: self.last_time_slot,
            periods: None,
        }
    }

    /// Prices the stretch from `open` (read at `self.now`) to `to`, over which `energy_wh`
    /// was delivered.
    pub fn advance(&mut self, engine: &mut Engine, open: &MeterSample, to: i64, energy_wh: i64) {
        let from = self.now;
        let length = to - from;
        let power_w = open.power_w.unwrap_or(if open.charging && length > 0 {
            (i128::from(energy_wh) * 3600 / i128::from(length)) as i64
        } else {
            0
        });
        let base_energy = self.energy_wh;
        // Energy delivered from `from` to `t`, shared in proportion to time (floored, so the
        // pieces of a stretch add up to its energy exactly).
        let delivered = |t: i64| -> i64 {
            if length == 0 {
                energy_wh
            } else {
                (i128::from(energy_wh) * i128::from(t - from) / i128::from(length)) as i64
            }
        };
        let mut t = from;
        loop {
            let (clock_mask, clock_until) = engine.clock_mask(t);
            let energy_now = base_energy + if length == 0 { 0 } else { delivered(t) };
            let elapsed = t - self.start;
            let mut end = to.min(clock_until);
            if let Some(p) = engine.restrictions.next_duration_point(elapsed) {
                end = end.min(self.start.saturating_add(p));
            }
            if length > 0
                && energy_wh > 0
                && let Some(p) = engine.restrictions.next_energy_point(energy_now)
            {
                let needed = i128::from(p - base_energy);
                if needed <= i128::from(energy_wh) {
                    // First second at which `delivered` reaches the threshold.
                    let e = i128::from(energy_wh);
                    let crossing = (needed * i128::from(length) + e - 1) / e;
                    end = end.min(from + crossing as i64);
                }
            }
            let end = if length == 0 { t } else { end.max(t + 1) };
            let conditions = Conditions { elapsed, energy_wh: energy_now, power_w, current_ma: open.current_ma };
            let mask = engine.restrictions.dynamic_mask(clock_mask, &conditions);
            let piece_energy = if length == 0 { energy_wh } else { delivered(end) - delivered(t) };
            self.piece(engine, open, t, end, piece_energy, mask, power_w);
            if end >= to {
                break;
            }
            t = end;
        }
        self.now = to;
    }

    #[allow(clippy::too_many_arguments)]
    fn piece(&mut self, engine: &Engine, open: &MeterSample, from: i64, to: i64, energy_wh: i64, mask: u64, power_w: i64) {
        let seconds = to - from;
        let energy_slot = engine.pick(TariffDimension::Energy, mask);
        let time_slot = engine.pick(TariffDimension::Time, mask);
        let parking_slot = engine.pick(TariffDimension::ParkingTime, mask);
        for slot in [energy_slot, time_slot, parking_slot].into_iter().flatten() {
            self.see(slot);
        }
        if !self.flat_charged
            && let Some(slot) = engine.pick(TariffDimension::Flat, mask)
        {
            self.qty[slot as usize] = 1;
            self.flat_charged = true;
            self.see(slot);
        }
        if let Some(slot) = energy_slot {
            self.qty[slot as usize] += energy_wh;
            if energy_wh > 0 {
                self.last_energy_slot = Some(slot);
            }
        }
        let priced_time = if open.charging { time_slot } else { parking_slot };
        if let Some(slot) = priced_time {
            self.qty[slot as usize] += seconds;
            if seconds > 0 {
                self.last_time_slot = Some(slot);
            }
        }
        self.energy_wh += energy_wh;
        if open.charging {
            self.charging_seconds += seconds;
        } else {
            self.parking_seconds += seconds;
        }
        if let Some(periods) = self.periods.as_mut()
            && (seconds > 0 || energy_wh > 0)
        {
            let element = |slot: Option<u32>| slot.map(|s| engine.slots[s as usize].element as u8);
            periods.push(PricedPeriod {
                start_offset_seconds: from - self.start,
                duration_seconds: seconds,
                energy_wh,
                charging: open.charging,
                power_w,
                current_ma: open.current_ma,
                energy_element: element(energy_slot),
                time_element: element(priced_time),
            });
        }
    }

    fn see(&mut self, slot: u32) {
        if !self.seen[slot as usize] {
            self.seen[slot as usize] = true;
            self.seen_order.push(slot);
        }
    }
}
