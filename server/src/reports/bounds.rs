//! What one finished session may contribute to the reports at most. Charger data is untrusted:
//! a meter that reads i64::MAX at the stop, a clock 26 years off, a power no cable carries. The
//! triggers (migration `0011_report_bounds.sql`, which spells the same numbers) clamp each
//! session's figures into these ranges before they are summed, so that no single row can make
//! a sum overflow, and the reports keep counting every other session exactly. A value outside is
//! not plausible in the first place; the bounds are far above anything real, chosen only so that
//! millions of sessions at the bound still sum within i64.

/// Energy per session, Wh: 1 GWh (a large truck battery is 1 MWh). Below 0 counts as 0.
pub const MAX_SESSION_ENERGY_WH: i64 = 1_000_000_000;
/// Each of a session's money totals (excl. VAT, VAT, incl. VAT), minor units: 10^12 (ten
/// billion euros). A bill is never negative (OCPI prices are not): below 0 counts as 0.
pub const MAX_SESSION_MONEY_MINOR: i64 = 1_000_000_000_000;
/// Power, W: 1 GW (megawatt charging is 3.75 MW). Average and peak power per session, and the
/// power of running sessions in `/metrics`.
pub const MAX_POWER_W: i64 = 1_000_000_000;
/// Durations, seconds: 10 years of 365.25 days (charging time, time to start, heartbeat gaps).
pub const MAX_DURATION_SECONDS: i64 = 315_576_000;
