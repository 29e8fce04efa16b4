//! CSV exports of the reports (RFC 4180: comma-separated, CRLF line ends, fields quoted when
//! they need it). Text that came from chargers or drivers (id tags, reasons) is also defused
//! against spreadsheet formula injection: a field starting with `=`, `+`, `-`, `@`, tab or CR
//! gets a leading `'` (OWASP's advice), so opening the file never runs a formula.

use super::{AuthenticationReport, AuthorizationLog, PerformanceReport, RevenueReport};

#[derive(Default)]
pub struct Csv {
    out: String,
}

/// One field of a row.
pub enum Field<'a> {
    Text(&'a str),
    Int(i64),
    OptInt(Option<i64>),
    Ratio(f64),
    OptRatio(Option<f64>),
}

impl Csv {
    pub fn row(&mut self, fields: &[Field<'_>]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match field {
                Field::Text(text) => self.text(text),
                Field::Int(n) => self.out.push_str(&n.to_string()),
                Field::OptInt(n) => self.out.push_str(&n.map(|n| n.to_string()).unwrap_or_default()),
                Field::Ratio(r) => self.out.push_str(&format!("{r:.6}")),
                Field::OptRatio(r) => self.out.push_str(&r.map(|r| format!("{r:.6}")).unwrap_or_default()),
            }
        }
        self.out.push_str("\r\n");
    }

    pub fn header(&mut self, names: &[&str]) {
        self.row(&names.iter().map(|n| Field::Text(n)).collect::<Vec<_>>());
    }

    fn text(&mut self, text: &str) {
        let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
        if defused.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            self.out.push_str(&defused.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(&defused);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

use Field::*;

pub fn revenue(report: &RevenueReport) -> String {
    let mut csv = Csv::default();
    csv.header(&[
        "period", "period_start", "charger_id", "site", "currency", "sessions", "energy_wh", "total_excl_vat_minor",
        "total_vat_minor", "total_incl_vat_minor", "avg_price_per_kwh_excl_vat", "avg_price_per_kwh_incl_vat",
    ]);
    for r in &report.rows {
        let f = &r.figures;
        csv.row(&[
            Text(&r.period),
            Text(&r.period_start),
            Text(r.charger_id.as_deref().unwrap_or("")),
            Text(r.site.as_deref().unwrap_or("")),
            Text(&f.currency),
            Int(f.sessions),
            Int(f.energy_wh),
            Int(f.total_excl_vat_minor),
            Int(f.total_vat_minor),
            Int(f.total_incl_vat_minor),
            Text(f.avg_price_per_kwh_excl_vat.as_deref().unwrap_or("")),
            Text(f.avg_price_per_kwh_incl_vat.as_deref().unwrap_or("")),
        ]);
    }
    csv.finish()
}

pub fn performance(report: &PerformanceReport) -> String {
    let mut csv = Csv::default();
    csv.header(&[
        "charger_id", "site", "chargers", "sessions_completed", "sessions_failed", "success_rate", "failure_reasons",
        "energy_wh", "charging_seconds", "avg_session_power_w", "avg_peak_power_w", "peak_power_w", "starts_timed",
        "avg_time_to_start_ms", "max_time_to_start_ms", "observed_ms", "available_ms", "charging_ms", "faulted_ms",
        "unavailable_ms", "offline_ms", "unknown_ms", "availability", "utilization", "faults", "heartbeat_gaps",
        "heartbeat_gap_seconds", "longest_heartbeat_gap_seconds",
    ]);
    for r in &report.rows {
        let reasons = r.failure_reasons.iter().map(|f| format!("{} ({})", f.reason, f.sessions)).collect::<Vec<_>>().join("; ");
        let faults = r.faults.iter().map(|f| format!("{} ({})", f.error_code, f.reports)).collect::<Vec<_>>().join("; ");
        let a = &r.availability;
        csv.row(&[
            Text(r.charger_id.as_deref().unwrap_or("")),
            Text(r.site.as_deref().unwrap_or("")),
            Int(i64::from(r.chargers)),
            Int(r.sessions_completed),
            Int(r.sessions_failed),
            OptRatio(r.success_rate),
            Text(&reasons),
            Int(r.energy_wh),
            Int(r.charging_seconds),
            OptInt(r.avg_session_power_w),
            OptInt(r.avg_peak_power_w),
            OptInt(r.peak_power_w),
            Int(r.time_to_start.sessions),
            OptInt(r.time_to_start.avg_ms),
            OptInt(r.time_to_start.max_ms),
            Int(a.observed_ms),
            Int(a.available_ms),
            Int(a.charging_ms),
            Int(a.faulted_ms),
            Int(a.unavailable_ms),
            Int(a.offline_ms),
            Int(a.unknown_ms),
            Ratio(a.availability),
            Ratio(a.utilization),
            Text(&faults),
            Int(r.heartbeat_gaps.gaps),
            Int(r.heartbeat_gaps.total_seconds),
            OptInt(r.heartbeat_gaps.longest_seconds),
        ]);
    }
    csv.finish()
}

pub fn authentication(report: &AuthenticationReport) -> String {
    let mut csv = Csv::default();
    csv.header(&["method", "result", "reason", "attempts"]);
    for o in &report.by_outcome {
        csv.row(&[Text(&o.method), Text(&o.result), Text(o.reason.as_deref().unwrap_or("")), Int(o.attempts)]);
    }
    csv.finish()
}

pub fn authorization_log(log: &AuthorizationLog) -> String {
    let mut csv = Csv::default();
    csv.header(&["id", "at", "method", "id_tag", "charger_id", "result", "reason"]);
    for e in &log.entries {
        csv.row(&[
            Int(e.id),
            Text(&e.at),
            Text(&e.method),
            Text(&e.id_tag),
            Text(e.charger_id.as_deref().unwrap_or("")),
            Text(&e.result),
            Text(e.reason.as_deref().unwrap_or("")),
        ]);
    }
    csv.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_defuses() {
        let mut csv = Csv::default();
        csv.row(&[Text("plain"), Text("a,b"), Text("say \"hi\""), Text("=HYPERLINK(\"x\")"), Int(-5), OptInt(None), Ratio(0.5)]);
        assert_eq!(csv.finish(), "plain,\"a,b\",\"say \"\"hi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",-5,,0.500000\r\n");
    }
}
