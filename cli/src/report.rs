//! `chargekit report`: the operator reports in a terminal — the same figures the operator API and
//! the dashboard show, computed by the same code (`chargekit_server::reports`), read straight
//! from the server's SQLite file. The server may be running meanwhile (SQLite WAL lets readers
//! and the writer work side by side); no network or operator sign-in is involved, so whoever can
//! read the database file can read the reports.

use std::path::PathBuf;

use chargekit_model::Currency;
use chargekit_server::reports::{AuthenticationReport, GroupBy, PerformanceReport, Period, Reports, RevenueReport, Window, csv};
use rust_decimal::Decimal;

#[derive(clap::Args)]
pub struct ReportArgs {
    /// Which report.
    #[arg(value_enum, default_value = "all")]
    report: Which,
    /// The server's SQLite file [default: the `database` of --config, else the `serve` default,
    /// $XDG_DATA_HOME/chargekit/chargekit.db or ~/.local/share/chargekit/chargekit.db].
    #[arg(long)]
    database: Option<PathBuf>,
    /// The server config `serve` runs with: its `database` is read.
    #[arg(long, conflicts_with = "database")]
    config: Option<PathBuf>,
    /// First day, YYYY-MM-DD (UTC) [default: 29 days before --to].
    #[arg(long)]
    from: Option<String>,
    /// Last day, included, YYYY-MM-DD (UTC) [default: today].
    #[arg(long)]
    to: Option<String>,
    /// Revenue per day, ISO week or month.
    #[arg(long, value_enum, default_value = "day")]
    period: PeriodArg,
    /// One row per charger, per site, or one in all.
    #[arg(long, value_enum, default_value = "charger")]
    group_by: GroupArg,
    /// Aligned text tables, the API's JSON, or the API's CSV.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    All,
    Revenue,
    Performance,
    Authentication,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PeriodArg {
    Day,
    Week,
    Month,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GroupArg {
    Charger,
    Site,
    Total,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
}

pub async fn run(args: ReportArgs) -> Result<(), String> {
    let path = match (&args.database, &args.config) {
        (Some(path), _) => path.clone(),
        (None, Some(config)) => chargekit_server::ServerConfig::from_file(config)?.database,
        (None, None) => chargekit_server::ServerConfig::default().database,
    };
    let window = Window::parse_today(args.from.as_deref(), args.to.as_deref())?;
    let period = match args.period {
        PeriodArg::Day => Period::Day,
        PeriodArg::Week => Period::Week,
        PeriodArg::Month => Period::Month,
    };
    let group_by = match args.group_by {
        GroupArg::Charger => GroupBy::Charger,
        GroupArg::Site => GroupBy::Site,
        GroupArg::Total => GroupBy::Total,
    };
    if args.format == Format::Csv && args.report == Which::All {
        return Err("CSV holds one table: name the report (revenue, performance or authentication)".into());
    }
    let db = Reports::open(&path).await.map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
    let wants = |w: Which| args.report == Which::All || args.report == w;
    let mut json = serde_json::Map::new();
    if wants(Which::Revenue) {
        let report = db.revenue(window, period, group_by).await.map_err(failed)?;
        match args.format {
            Format::Text => print_revenue(&report),
            Format::Csv => print!("{}", csv::revenue(&report)),
            Format::Json => {
                json.insert("revenue".into(), serde_json::to_value(&report).map_err(|e| e.to_string())?);
            }
        }
    }
    if wants(Which::Performance) {
        let report = db.performance(window, group_by).await.map_err(failed)?;
        match args.format {
            Format::Text => print_performance(&report),
            Format::Csv => print!("{}", csv::performance(&report)),
            Format::Json => {
                json.insert("performance".into(), serde_json::to_value(&report).map_err(|e| e.to_string())?);
            }
        }
    }
    if wants(Which::Authentication) {
        let report = db.authentication(window).await.map_err(failed)?;
        match args.format {
            Format::Text => print_authentication(&report),
            Format::Csv => print!("{}", csv::authentication(&report)),
            Format::Json => {
                json.insert("authentication".into(), serde_json::to_value(&report).map_err(|e| e.to_string())?);
            }
        }
    }
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?);
    }
    db.close().await;
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("cannot read the reports: {e}")
}

/// Minor units as a decimal amount of the currency, e.g. `12.34 EUR`.
fn money(minor: i64, currency: &str) -> String {
    let digits = Currency::new(currency).map_or(2, |c| c.minor_digits());
    format!("{} {currency}", Decimal::new(minor, digits))
}

fn kwh(wh: i64) -> String {
    format!("{:.1}", wh as f64 / 1000.0)
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// Prints rows as columns padded to their widest cell.
fn table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    println!("\n{title}");
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        println!("  {}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    if rows.is_empty() {
        println!("  (none)");
    }
    for row in rows {
        line(row.clone());
    }
}

fn print_revenue(r: &RevenueReport) {
    println!("Revenue {} to {} (UTC), completed sessions", r.from, r.to);
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            let f = &row.figures;
            vec![
                row.period.clone(),
                opt(row.charger_id.clone()),
                opt(row.site.clone()),
                f.sessions.to_string(),
                kwh(f.energy_wh),
                money(f.total_excl_vat_minor, &f.currency),
                money(f.total_vat_minor, &f.currency),
                money(f.total_incl_vat_minor, &f.currency),
                opt(f.avg_price_per_kwh_incl_vat.clone()),
            ]
        })
        .collect();
    table("By period", &["period", "charger", "site", "sessions", "kWh", "excl. VAT", "VAT", "incl. VAT", "per kWh incl."], &rows);
    let totals: Vec<Vec<String>> = r
        .totals
        .iter()
        .map(|f| {
            vec![
                f.currency.clone(),
                f.sessions.to_string(),
                kwh(f.energy_wh),
                money(f.total_excl_vat_minor, &f.currency),
                money(f.total_vat_minor, &f.currency),
                money(f.total_incl_vat_minor, &f.currency),
                opt(f.avg_price_per_kwh_excl_vat.clone()),
                opt(f.avg_price_per_kwh_incl_vat.clone()),
            ]
        })
        .collect();
    table("Totals", &["currency", "sessions", "kWh", "excl. VAT", "VAT", "incl. VAT", "per kWh excl.", "per kWh incl."], &totals);
    let states: Vec<Vec<String>> = r
        .payment_states
        .iter()
        .map(|p| vec![p.currency.clone(), p.state.clone(), p.sessions.to_string(), money(p.total_incl_vat_minor, &p.currency), money(p.collected_minor, &p.currency)])
        .collect();
    table(&format!("Payment state ({})", r.payment_source), &["currency", "state", "sessions", "billed incl. VAT", "collected"], &states);
}

fn print_performance(r: &PerformanceReport) {
    println!("\nCharger performance {} to {} (UTC)", r.from, r.to);
    let kw = |w: Option<i64>| w.map_or_else(|| "–".to_owned(), |w| format!("{:.1}", w as f64 / 1000.0));
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|p| {
            vec![
                opt(p.charger_id.clone()),
                opt(p.site.clone()),
                format!("{}/{}", p.sessions_completed, p.sessions_completed.saturating_add(p.sessions_failed)),
                p.success_rate.map_or_else(|| "–".into(), pct),
                kwh(p.energy_wh),
                kw(p.avg_session_power_w),
                kw(p.peak_power_w),
                p.time_to_start.avg_ms.map_or_else(|| "–".into(), |ms| format!("{:.1} s", ms as f64 / 1000.0)),
                pct(p.availability.availability),
                pct(p.availability.utilization),
                p.faults.iter().map(|f| format!("{}×{}", f.error_code, f.reports)).collect::<Vec<_>>().join(" "),
                p.heartbeat_gaps.gaps.to_string(),
            ]
        })
        .collect();
    table(
        "Per row",
        &["charger", "site", "ok/all", "success", "kWh", "avg kW", "peak kW", "to start", "available", "in use", "faults", "hb gaps"],
        &rows,
    );
    let reasons: Vec<Vec<String>> = r
        .rows
        .iter()
        .flat_map(|p| p.failure_reasons.iter().map(move |f| vec![opt(p.charger_id.clone()), opt(p.site.clone()), f.reason.clone(), f.sessions.to_string()]))
        .collect();
    table("Failure reasons", &["charger", "site", "reason", "sessions"], &reasons);
}

fn print_authentication(r: &AuthenticationReport) {
    println!("\nAuthentication {} to {} (UTC)", r.from, r.to);
    let methods: Vec<Vec<String>> =
        r.by_method.iter().map(|m| vec![m.method.clone(), m.attempts.to_string(), m.accepted.to_string(), m.refused.to_string()]).collect();
    table("By method", &["method", "attempts", "accepted", "refused"], &methods);
    let outcomes: Vec<Vec<String>> =
        r.by_outcome.iter().map(|o| vec![o.method.clone(), o.result.clone(), opt(o.reason.clone()), o.attempts.to_string()]).collect();
    table("By result", &["method", "result", "reason", "attempts"], &outcomes);
    let unknown: Vec<Vec<String>> =
        r.unknown_tokens.iter().map(|t| vec![t.id_tag.clone(), t.attempts.to_string(), t.chargers.to_string(), t.last_at.clone()]).collect();
    table("Unknown tokens", &["token", "attempts", "chargers", "last tried"], &unknown);
    let concurrent: Vec<Vec<String>> = r
        .concurrent_uses
        .iter()
        .map(|c| vec![c.id_tag.clone(), c.first_charger_id.clone(), c.second_charger_id.clone(), c.overlap_from.clone()])
        .collect();
    table(
        &format!("One token at two chargers at once ({} attempts refused as ConcurrentTx)", r.concurrent_refusals),
        &["token", "first charger", "second charger", "from"],
        &concurrent,
    );
}
