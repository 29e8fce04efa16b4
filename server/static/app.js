// ChargeKit operator dashboard: signs in as an operator, reads the JSON reports and draws them
// as SVG. No framework and nothing fetched from elsewhere; every text that came from the
// server is set with textContent, never parsed as HTML (id tags come from chargers).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const STATES = ['available', 'charging', 'faulted', 'unavailable', 'offline', 'unknown'];
// What operators read instead of the API's names; a name not listed is shown with spaces.
const STATE_LABELS = { available: 'Available', charging: 'Charging', faulted: 'Faulted', unavailable: 'Unavailable', offline: 'Offline', unknown: 'Unknown' };
const METHOD_LABELS = { app: 'App', rfid: 'RFID card', plug_and_charge: 'Plug & Charge' };
const RESULT_LABELS = {
  Accepted: 'Accepted', Invalid: 'Refused: invalid', Blocked: 'Refused: blocked', Expired: 'Refused: expired',
  ConcurrentTx: 'Refused: in use elsewhere', Failed: 'Start failed',
};
const PAYMENT_LABELS = { captured: 'Captured', pending: 'Held, not captured yet', failed: 'Capture failed', released: 'Released', unpaid: 'Unpaid' };
const PERIOD_TITLES = { day: 'Day (UTC)', week: 'ISO week (UTC)', month: 'Month (UTC)' };
const SESSION_LABELS = { starting: 'Starting', charging: 'Charging', stopping: 'Stopping', completed: 'Completed', failed: 'Failed', under_review: 'Held for review' };
const LINE_LABELS = { ENERGY: 'Energy', TIME: 'Charging time', PARKING_TIME: 'Parking time', FLAT: 'Session fee' };
const OCPP_STATUS_LABELS = {
  Available: 'Available', Preparing: 'Preparing', Charging: 'Charging', SuspendedEV: 'Suspended by the car', SuspendedEVSE: 'Suspended by the charger',
  Finishing: 'Finishing', Reserved: 'Reserved', Unavailable: 'Unavailable', Faulted: 'Faulted', offline: 'Offline',
};
const COMMAND_NAMES = { Reset: 'Reset', ChangeAvailability: 'Change availability', TriggerMessage: 'Trigger message', UnlockConnector: 'Unlock connector' };
const session = { token: null, logBefore: null, last: null, sessionsAfter: null, charger: null, pendingCommand: null };

function $(selector) {
  return document.querySelector(selector);
}

function label(labels, value) {
  return labels[value] ?? String(value ?? '').replace(/_/g, ' ');
}

/** An element (SVG when `ns` is given) with attributes, appended to `parent`. */
function el(name, attrs = {}, parent = null, ns = null) {
  const node = ns ? document.createElementNS(ns, name) : document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  if (parent) parent.appendChild(node);
  return node;
}

function svg(name, attrs, parent) {
  return el(name, attrs, parent, SVG);
}

function row(tbody, cells) {
  const tr = el('tr', {}, tbody);
  for (const cell of cells) el('td', { text: cell ?? '' }, tr);
  return tr;
}

/** A table body with no rows says so (its `data-empty` text) instead of showing bare headers. */
function sayWhenEmpty(tbody) {
  if (tbody.children.length > 0) return;
  const columns = tbody.closest('table').querySelectorAll('thead th').length;
  el('td', { colspan: columns, text: tbody.dataset.empty || 'Nothing to show.' }, el('tr', { class: 'empty' }, tbody));
}

/** Integer minor units as a decimal string ("12345", 2 → "123.45"): no float touches money. */
function decimalOf(minor, digits) {
  const digitsText = String(Math.abs(minor)).padStart(digits + 1, '0');
  const sign = minor < 0 ? '-' : '';
  return digits === 0 ? sign + digitsText : `${sign}${digitsText.slice(0, -digits)}.${digitsText.slice(-digits)}`;
}

function currencyFormat(currency, options = {}) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency, ...options });
  } catch {
    return null; // not an ISO 4217 code this browser knows
  }
}

/** Money from integer minor units, with the currency's own number of decimals. */
function money(minor, currency) {
  const format = currencyFormat(currency);
  if (!format) return `${currency} ${minor}`;
  return format.format(decimalOf(minor, format.resolvedOptions().maximumFractionDigits));
}

/** A price per kWh from the report's decimal string (up to 4 places), with its currency. */
function perKwh(decimal, currency) {
  if (decimal == null) return '–';
  const digits = currencyFormat(currency)?.resolvedOptions().maximumFractionDigits ?? 2;
  const format = currencyFormat(currency, { minimumFractionDigits: digits, maximumFractionDigits: Math.max(digits, 4) });
  return `${format ? format.format(decimal) : `${currency} ${decimal}`} / kWh`;
}

function kwh(wh) {
  return `${(wh / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 })} kWh`;
}

function percent(share) {
  return share == null ? '–' : `${(share * 100).toFixed(1)} %`;
}

/** Every UTC day from `from` to `to` (YYYY-MM-DD, inclusive). */
function daysOf(from, to) {
  const days = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { Authorization: `Bearer ${session.token}` } });
  if (response.status === 401) throw new Unauthorized('Your sign-in has expired.');
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.message || `The server answered ${response.status}.`);
  }
  return response;
}

function query() {
  const form = $('#controls');
  const params = new URLSearchParams();
  for (const name of ['from', 'to']) if (form.elements[name].value) params.set(name, form.elements[name].value);
  return params;
}

// --- sign-in and sign-out ---

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  $('#sign-in-error').textContent = '';
  const response = await fetch('/v1/operator/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: form.elements.username.value, password: form.elements.password.value }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    $('#sign-in-error').textContent = body.message || 'Sign-in failed.';
    return;
  }
  const signedIn = await response.json();
  session.token = signedIn.token;
  form.reset();
  $('#who-name').textContent = signedIn.username;
  $('#who').hidden = false;
  $('#sign-in').hidden = true;
  $('#reports').hidden = false;
  document.dispatchEvent(new Event('chargekit:signed-in'));
  await load();
}

async function signOut() {
  // The server ends the sign-in; the page forgets it even if the server cannot be reached.
  await api('/v1/operator/sign-out', { method: 'POST' }).catch(() => {});
  signedOut('Signed out.');
}

function signedOut(message) {
  session.token = null;
  session.last = null;
  document.dispatchEvent(new Event('chargekit:signed-out'));
  clearReports();
  $('#who').hidden = true;
  $('#reports').hidden = true;
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = message;
}

// --- loading ---

/** Takes the reports' figures off the page (the charger page and the sessions are not reports). */
function clearCharts() {
  for (const chart of document.querySelectorAll('#reports article.report .chart')) chart.replaceChildren();
  for (const tbody of document.querySelectorAll('#reports article.report tbody')) tbody.replaceChildren();
  $('#availability-legend').replaceChildren();
  $('#payment-source').textContent = '';
  $('#concurrent').textContent = '';
  $('#auth-log-older').hidden = true;
}

/** Takes every figure off the page, so nothing stays up from an earlier window. */
function clearReports() {
  clearCharts();
  $('#charger').hidden = true;
  for (const part of ['#charger-facts', '#charger-connectors tbody', '#charger-timeline', '#charger-audit tbody', '#charger-unlock']) $(part).replaceChildren();
  session.charger = null;
  for (const part of ['#session-list tbody', '#session-lines tbody', '#session-facts', '#session-curve']) $(part).replaceChildren();
  $('#sessions-more').hidden = true;
  $('#session-detail').hidden = true;
  $('#session-status').textContent = '';
}

async function load(event) {
  if (event) event.preventDefault();
  const status = $('#status');
  status.textContent = 'Loading…';
  status.classList.remove('error');
  document.body.dataset.loaded = 'false';
  try {
    const params = query();
    const revenueParams = new URLSearchParams(params);
    revenueParams.set('period', $('#controls').elements.period.value);
    revenueParams.set('group_by', 'total');
    const perfParams = new URLSearchParams(params);
    perfParams.set('group_by', 'charger');
    const logParams = new URLSearchParams(params);
    logParams.set('limit', '100');
    const [revenue, performance, authentication, log] = await Promise.all([
      api(`/v1/operator/reports/revenue?${revenueParams}`).then((r) => r.json()),
      api(`/v1/operator/reports/performance?${perfParams}`).then((r) => r.json()),
      api(`/v1/operator/reports/authentication?${params}`).then((r) => r.json()),
      api(`/v1/operator/reports/authorization-log?${logParams}`).then((r) => r.json()),
    ]);
    session.last = { revenue, performance, authentication, log, params };
    draw();
    await searchSessions();
    if (session.charger) await openCharger(session.charger);
    status.textContent = `${revenue.from} to ${revenue.to}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error instanceof Unauthorized) {
      signedOut(error.message);
      return;
    }
    session.last = null;
    clearReports();
    status.textContent = error.message;
    status.classList.add('error');
    document.body.dataset.loaded = 'error';
  }
}

/** Draws the last reports at the page's current width. */
function draw() {
  if (!session.last) return;
  const { revenue, performance, authentication, log } = session.last;
  clearCharts();
  drawRevenue(revenue);
  drawAvailability(performance);
  drawAuthentication(authentication);
  session.logBefore = null;
  appendLog(log);
}

async function loadOlderLog() {
  if (!session.last || session.logBefore == null) return;
  const params = new URLSearchParams(session.last.params);
  params.set('limit', '100');
  params.set('before', String(session.logBefore));
  try {
    appendLog(await api(`/v1/operator/reports/authorization-log?${params}`).then((r) => r.json()));
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#status').textContent = error.message;
  }
}

async function downloadCsv(event) {
  const name = event.target.dataset.csv;
  if (!name) return;
  const params = query();
  if (name === 'revenue') params.set('period', $('#controls').elements.period.value);
  try {
    const response = await api(`/v1/operator/reports/${name}.csv?${params}`);
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: `chargekit-${name}.csv` }, document.body);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#status').textContent = error.message;
  }
}

// --- charts ---

/** The width a chart in `container` has on screen, in CSS pixels. */
function widthOf(container) {
  return Math.max(280, Math.floor(container.clientWidth || 640));
}

/**
 * A vertical bar chart over a time axis: `bars` are {label, value, title, attrs}, one per period
 * in order (zero ones included); values in one unit, `format` prints them; `xTitle` and `yTitle`
 * name the axes.
 */
function barChart(container, bars, { height = 200, format = String, className = 'bar', xTitle, yTitle } = {}) {
  const width = widthOf(container);
  const left = 72;
  const top = 22;
  const bottom = height + top;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${bottom + 44}`, width, height: bottom + 44, role: 'img', 'aria-label': `${yTitle} by ${xTitle}` }, container);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = (width - left - 8) / Math.max(1, bars.length);
  svg('text', { x: 0, y: 12, class: 'axis-title', text: yTitle }, chart);
  svg('line', { x1: left, y1: bottom, x2: width - 8, y2: bottom, class: 'axis' }, chart);
  svg('line', { x1: left, y1: top, x2: left, y2: bottom, class: 'axis' }, chart);
  for (const share of [0, 0.5, 1]) {
    const y = bottom - share * height;
    svg('text', { x: left - 4, y: y + 3, class: 'tick', 'text-anchor': 'end', text: format(Math.round(max * share)) }, chart);
    if (share > 0) svg('line', { x1: left, y1: y, x2: width - 8, y2: y, class: 'grid' }, chart);
  }
  // At most one label per 56 px, so that they never overlap.
  const every = Math.max(1, Math.ceil(56 / slot));
  bars.forEach((bar, i) => {
    const h = (bar.value / max) * height;
    const rect = svg('rect', {
      class: className,
      x: (left + i * slot + slot * 0.15).toFixed(2),
      y: (bottom - h).toFixed(2),
      width: Math.max(1, slot * 0.7).toFixed(2),
      height: h.toFixed(2),
      ...bar.attrs,
    }, chart);
    svg('title', { text: bar.title }, rect);
    if (i % every === 0) {
      svg('text', { x: left + i * slot + slot / 2, y: bottom + 14, class: 'label', 'text-anchor': 'middle', text: bar.label }, chart);
    }
  });
  svg('text', { x: left + (width - left) / 2, y: bottom + 36, class: 'axis-title', 'text-anchor': 'middle', text: xTitle }, chart);
  return chart;
}

function periodLabel(period) {
  return period.length === 10 ? period.slice(5) : period;
}

function drawRevenue(report) {
  const container = $('#revenue-chart');
  const currencies = [...new Set(report.rows.map((r) => r.currency))];
  if (currencies.length === 0) el('p', { class: 'empty', text: 'No completed sessions in this window.' }, container);
  for (const currency of currencies) {
    el('h3', { text: currency }, container);
    const byPeriod = new Map(report.rows.filter((r) => r.currency === currency).map((r) => [r.period, r]));
    const bars = report.periods.map(({ period }) => {
      const r = byPeriod.get(period) ?? { total_incl_vat_minor: 0, sessions: 0, energy_wh: 0 };
      return {
        label: periodLabel(period),
        value: r.total_incl_vat_minor,
        title: `${period}: ${money(r.total_incl_vat_minor, currency)} incl. VAT, ${r.sessions} sessions, ${kwh(r.energy_wh)}`,
        attrs: { 'data-period': period, 'data-currency': currency, 'data-value': r.total_incl_vat_minor, 'data-sessions': r.sessions },
      };
    });
    barChart(container, bars, { format: (v) => money(v, currency), xTitle: PERIOD_TITLES[report.period] ?? report.period, yTitle: `Revenue incl. VAT (${currency})` })
      .setAttribute('data-currency', currency);
    const legend = el('ul', { class: 'legend' }, container);
    el('li', { class: 'revenue', text: `Revenue incl. VAT, ${currency}` }, legend);
  }
  const totals = $('#revenue-totals tbody');
  for (const t of report.totals) {
    row(totals, [t.currency, t.sessions, kwh(t.energy_wh), money(t.total_excl_vat_minor, t.currency), money(t.total_vat_minor, t.currency),
      money(t.total_incl_vat_minor, t.currency), perKwh(t.avg_price_per_kwh_incl_vat, t.currency)]).dataset.currency = t.currency;
  }
  sayWhenEmpty(totals);
  $('#payment-source').textContent = `Source: ${report.payment_source}`;
  const states = $('#payment-states tbody');
  for (const p of report.payment_states) {
    row(states, [p.currency, label(PAYMENT_LABELS, p.state), p.sessions, money(p.total_incl_vat_minor, p.currency), money(p.collected_minor, p.currency)])
      .dataset.state = p.state;
  }
  sayWhenEmpty(states);
}

function drawAvailability(report) {
  const container = $('#availability-chart');
  const rows = report.rows;
  // One row per charger: its name and figures on a line, the bar of its states under them, as
  // wide as the page allows.
  const barWidth = widthOf(container);
  const rowHeight = 40;
  const chart = svg('svg', { viewBox: `0 0 ${barWidth} ${rows.length * rowHeight + 4}`, width: barWidth, height: rows.length * rowHeight + 4, role: 'img',
    'aria-label': 'Share of time in each state, per charger', 'data-bar-width': barWidth }, container);
  rows.forEach((r, i) => {
    const a = r.availability;
    const g = svg('g', {
      class: 'charger',
      transform: `translate(0 ${i * rowHeight + 2})`,
      'data-charger': r.charger_id,
      'data-availability': a.availability,
      'data-utilization': a.utilization,
      'data-observed-ms': a.observed_ms,
    }, chart);
    svg('text', { x: 0, y: 12, class: 'label', text: r.charger_id }, g);
    const figures = a.observed_ms ? `avail. ${percent(a.availability)} · used ${percent(a.utilization)}` : 'no data: never connected in this window';
    svg('text', { x: barWidth, y: 12, 'text-anchor': 'end', class: 'label figures', text: figures }, g);
    let x = 0;
    for (const state of STATES) {
      const ms = a[`${state}_ms`];
      if (!ms || !a.observed_ms) continue;
      const w = (ms / a.observed_ms) * barWidth;
      const rect = svg('rect', { class: `segment ${state}`, x: x.toFixed(2), y: 17, width: w.toFixed(2), height: 16, 'data-state': state, 'data-ms': ms }, g);
      svg('title', { text: `${r.charger_id}: ${label(STATE_LABELS, state)} ${percent(ms / a.observed_ms)}` }, rect);
      x += w;
    }
    if (!a.observed_ms) svg('rect', { class: 'segment none', x: 0, y: 17, width: barWidth, height: 16 }, g);
  });
  const legend = $('#availability-legend');
  for (const state of STATES) el('li', { class: state, text: label(STATE_LABELS, state) }, legend);

  const tbody = $('#performance-table tbody');
  for (const r of rows) {
    const kw = (w) => (w == null ? '–' : (w / 1000).toFixed(1));
    const tts = r.time_to_start.avg_ms == null ? '–' : `${(r.time_to_start.avg_ms / 1000).toFixed(1)} s`;
    const faults = r.faults.map((f) => `${f.error_code} ×${f.reports}`).join(', ') || '–';
    const tr = row(tbody, ['', r.site ?? '–', `${r.sessions_completed} ok, ${r.sessions_failed} failed`, percent(r.success_rate), kwh(r.energy_wh),
      kw(r.avg_session_power_w), kw(r.peak_power_w), tts, faults, r.heartbeat_gaps.gaps]);
    tr.dataset.charger = r.charger_id;
    const open = el('button', { type: 'button', class: 'link', text: r.charger_id, title: `Open ${r.charger_id}` }, tr.children[0]);
    open.addEventListener('click', () => openCharger(r.charger_id));
  }
  sayWhenEmpty(tbody);
}

function drawAuthentication(report) {
  const container = $('#auth-chart');
  const byDay = new Map(report.by_day.map((d) => [d.day, d]));
  const bars = daysOf(report.from, report.to).map((day) => {
    const d = byDay.get(day) ?? { accepted: 0, refused: 0 };
    return {
      label: day.slice(5),
      value: d.accepted + d.refused,
      title: `${day}: ${d.accepted} accepted, ${d.refused} refused`,
      attrs: { 'data-day': day, 'data-accepted': d.accepted, 'data-refused': d.refused },
    };
  });
  const chart = barChart(container, bars, { className: 'bar attempts', xTitle: 'Day (UTC)', yTitle: 'Attempts' });
  // The refused part of each day, drawn over the top of its bar.
  chart.querySelectorAll('rect.attempts').forEach((rect) => {
    const total = Number(rect.dataset.accepted) + Number(rect.dataset.refused);
    if (!total) return;
    const h = Number(rect.getAttribute('height')) * (Number(rect.dataset.refused) / total);
    svg('rect', { class: 'refused', x: rect.getAttribute('x'), y: rect.getAttribute('y'), width: rect.getAttribute('width'), height: h.toFixed(2) }, chart);
  });

  const methods = $('#auth-methods tbody');
  for (const m of report.by_method) row(methods, [label(METHOD_LABELS, m.method), m.attempts, m.accepted, m.refused]).dataset.method = m.method;
  sayWhenEmpty(methods);
  const unknown = $('#unknown-tokens tbody');
  for (const t of report.unknown_tokens) row(unknown, [t.id_tag, t.attempts, t.chargers, t.last_at.replace('T', ' ').slice(0, 19)]);
  sayWhenEmpty(unknown);
  $('#concurrent').textContent = `${report.concurrent_refusals} attempts refused as already charging elsewhere; `
    + `${report.concurrent_uses.length} times a token did charge at two chargers at once`
    + report.concurrent_uses.slice(0, 5).map((u) => ` (${u.id_tag}: ${u.first_charger_id} and ${u.second_charger_id})`).join('');
}

/** Adds a page of the authorization log under the rows shown; "Older entries" fetches the next. */
function appendLog(log) {
  const tbody = $('#auth-log tbody');
  tbody.querySelector('tr.empty')?.remove();
  for (const e of log.entries) {
    const tr = row(tbody, [e.at.replace('T', ' ').slice(0, 19), label(METHOD_LABELS, e.method), e.id_tag, e.charger_id ?? '–', label(RESULT_LABELS, e.result), e.reason ?? '']);
    tr.dataset.id = e.id;
    tr.dataset.result = e.result;
  }
  sayWhenEmpty(tbody);
  session.logBefore = log.next_before ?? null;
  $('#auth-log-older').hidden = session.logBefore == null;
}

// --- one charger ---

/** Status segments per connector over the window, and the charger's offline spans. */
function drawTimeline(container, detail) {
  container.replaceChildren();
  // From the first event in the window (nothing is known of the charger before it) to now or
  // the window's end.
  const end = Math.min(Date.now(), Date.parse(`${detail.to}T00:00:00Z`) + 86_400_000);
  const first = Math.min(...[...detail.status_events, ...detail.connection_events].map((e) => Date.parse(e.at)), end);
  const start = Math.max(Date.parse(`${detail.from}T00:00:00Z`), Math.min(first, end - 60_000));
  const width = widthOf(container);
  const [left, rowHeight] = [90, 26];
  const rows = [...detail.connectors.map((c) => ({ name: `Connector ${c.connector_id}`, id: c.connector_id })), { name: 'Connection', id: null }];
  const chart = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + 24}`, width, height: rows.length * rowHeight + 24, role: 'img', 'aria-label': 'Status over the window' }, container);
  const x = (t) => left + ((Math.min(Math.max(t, start), end) - start) / Math.max(1, end - start)) * (width - left);
  const shown = new Set();
  rows.forEach((r, i) => {
    const y = i * rowHeight;
    svg('text', { x: 0, y: y + 15, class: 'label', text: r.name }, chart);
    let spans;
    if (r.id == null) {
      // Offline from a disconnection to the next connection (or now).
      spans = [];
      let down = null;
      for (const e of detail.connection_events) {
        if (e.event === 'disconnected' && down == null) down = Date.parse(e.at);
        if (e.event === 'connected' && down != null) { spans.push({ from: down, to: Date.parse(e.at), status: 'offline' }); down = null; }
      }
      if (down != null) spans.push({ from: down, to: end, status: 'offline' });
    } else {
      const events = detail.status_events.filter((e) => e.connector_id === r.id);
      spans = events.map((e, j) => ({ from: Date.parse(e.at), to: j + 1 < events.length ? Date.parse(events[j + 1].at) : end, status: e.status, error: e.error_code }));
    }
    for (const span of spans) {
      if (span.to <= start || span.from >= end) continue;
      shown.add(span.status);
      const rect = svg('rect', { class: `segment ${span.status}`, x: x(span.from).toFixed(2), y: y + 4, width: Math.max(1, x(span.to) - x(span.from)).toFixed(2), height: 16,
        'data-status': span.status, 'data-from': new Date(span.from).toISOString() }, chart);
      svg('title', { text: `${label(OCPP_STATUS_LABELS, span.status)}${span.error && span.error !== 'NoError' ? ` (${span.error})` : ''} from ${when(new Date(span.from).toISOString())}` }, rect);
    }
  });
  const axisY = rows.length * rowHeight + 14;
  svg('text', { x: left, y: axisY, class: 'label', text: `${when(new Date(start).toISOString())} UTC` }, chart);
  svg('text', { x: width, y: axisY, class: 'label', 'text-anchor': 'end', text: end === Date.now() ? 'now' : detail.to }, chart);
  const legend = $('#charger-legend');
  legend.replaceChildren();
  for (const status of shown) el('li', { class: `status-${status}`, text: label(OCPP_STATUS_LABELS, status) }, legend);
}

function describeCommand(command) {
  const p = command.payload;
  const detail = p.type ?? p.requestedMessage ?? (p.connectorId != null ? `connector ${p.connectorId}` : '');
  return `${COMMAND_NAMES[command.action] ?? command.action}${detail ? ` (${detail})` : ''}`;
}

async function openCharger(id) {
  try {
    const d = await api(`/v1/operator/chargers/${encodeURIComponent(id)}?${query()}`).then((r) => r.json());
    session.charger = id;
    const article = $('#charger');
    article.hidden = false;
    article.dataset.charger = id;
    $('#charger-title').textContent = `Charger ${id}`;
    const facts = $('#charger-facts');
    facts.replaceChildren();
    const fact = (name, value) => { el('dt', { text: name }, facts); el('dd', { text: value ?? '–' }, facts); };
    const lastConnection = d.connection_events.at(-1);
    fact('Connection', d.connected ? `connected${lastConnection?.event === 'connected' ? ` since ${when(lastConnection.at)}` : ''}` : `offline${lastConnection?.event === 'disconnected' ? ` since ${when(lastConnection.at)}` : ''}`);
    fact('Site', d.site);
    fact('Charger', [d.vendor, d.model].filter(Boolean).join(' ') || 'not booted yet');
    fact('Firmware', d.firmware_version);
    fact('Last boot, last heartbeat (UTC)', `${when(d.last_boot_at)}, ${when(d.last_heartbeat_at)}`);
    fact('Security profile', String(d.security_profile));
    const perf = d.performance;
    if (perf) {
      const a = perf.availability;
      fact('Over the window', `${a.observed_ms ? `available ${percent(a.availability)}, used ${percent(a.utilization)}` : 'no data'}; `
        + `${perf.sessions_completed} sessions completed, ${perf.sessions_failed} failed; ${kwh(perf.energy_wh)}; `
        + `${perf.faults.map((f) => `${f.error_code} ×${f.reports}`).join(', ') || 'no faults'}; ${perf.heartbeat_gaps.gaps} heartbeat gaps`);
    }
    const connectors = $('#charger-connectors tbody');
    connectors.replaceChildren();
    for (const c of d.connectors) {
      row(connectors, [c.connector_id, c.evse_id, label(OCPP_STATUS_LABELS, c.status), c.error_code ?? '–', when(c.since)]).dataset.connector = c.connector_id;
    }
    sayWhenEmpty(connectors);
    const unlock = $('#charger-unlock');
    unlock.replaceChildren();
    for (const c of d.connectors) {
      el('button', { type: 'button', 'data-command': JSON.stringify({ action: 'UnlockConnector', payload: { connectorId: c.connector_id } }), text: `Unlock connector ${c.connector_id}` }, unlock);
    }
    drawTimeline($('#charger-timeline'), d);
    const audit = $('#charger-audit tbody');
    audit.replaceChildren();
    for (const e of d.commands) {
      const tr = row(audit, [when(e.at), e.operator, describeCommand(e), e.outcome.replace(/_/g, ' '), e.answer == null ? '' : (typeof e.answer === 'string' ? e.answer : JSON.stringify(e.answer))]);
      tr.dataset.action = e.action;
      tr.dataset.outcome = e.outcome;
    }
    sayWhenEmpty(audit);
    article.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#status').textContent = error.message;
  }
}

/** A command button: confirm in a dialog, send, show the charger's answer, refresh the page. */
function askToSend(event) {
  const button = event.target.closest('button[data-command]');
  if (!button || !session.charger) return;
  session.pendingCommand = JSON.parse(button.dataset.command);
  $('#confirm-text').textContent = `Send ${describeCommand(session.pendingCommand)} to ${session.charger}?`;
  $('#confirm-command').showModal();
}

async function sendConfirmed() {
  const dialog = $('#confirm-command');
  const command = session.pendingCommand;
  session.pendingCommand = null;
  if (dialog.returnValue !== 'send' || !command || !session.charger) return;
  const result = $('#command-result');
  result.textContent = `Sending ${describeCommand(command)}…`;
  try {
    const response = await fetch(`/v1/operator/chargers/${encodeURIComponent(session.charger)}/commands`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(command),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) throw new Unauthorized('Your sign-in has expired.');
    result.textContent = response.ok ? `${session.charger} answered: ${body.response?.status ?? JSON.stringify(body.response)}` : (body.message || `The server answered ${response.status}.`);
  } catch (error) {
    if (error instanceof Unauthorized) { signedOut(error.message); return; }
    result.textContent = error.message;
  }
  await openCharger(session.charger);
}

// --- sessions ---

function hms(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

function when(iso) {
  return iso ? iso.replace('T', ' ').slice(0, 19) : '–';
}

/** The search form's filters within the report window. */
function sessionQuery() {
  const params = query();
  const form = $('#session-search');
  for (const name of ['charger', 'status', 'method', 'driver', 'token']) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  params.set('limit', '50');
  return params;
}

async function searchSessions(event, after = null) {
  if (event) event.preventDefault();
  const params = sessionQuery();
  if (after) params.set('after', after);
  const tbody = $('#session-list tbody');
  try {
    const page = await api(`/v1/operator/sessions?${params}`).then((r) => r.json());
    if (!after) {
      tbody.replaceChildren();
      $('#session-detail').hidden = true;
    }
    tbody.querySelector('tr.empty')?.remove();
    for (const found of page.sessions) {
      const s = found.session;
      const tr = row(tbody, [when(s.created_at), `${found.charger_id} / ${found.connector_id}`, label(SESSION_LABELS, s.status), label(METHOD_LABELS, s.auth_method),
        kwh(s.energy_wh), money(s.cost.total_incl_vat_minor, s.cost.currency)]);
      tr.dataset.session = s.id;
      const open = el('button', { type: 'button', class: 'link', text: 'Open' }, el('td', {}, tr));
      open.addEventListener('click', () => openSession(s.id));
    }
    sayWhenEmpty(tbody);
    session.sessionsAfter = page.next_after ?? null;
    $('#sessions-more').hidden = session.sessionsAfter == null;
    $('#session-status').textContent = '';
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#session-status').textContent = error.message;
  }
}

function billed(item) {
  switch (item.dimension) {
    case 'ENERGY': return `${(item.billed_quantity / 1000).toLocaleString(undefined, { minimumFractionDigits: 3, maximumFractionDigits: 3 })} kWh`;
    case 'TIME':
    case 'PARKING_TIME': return hms(item.billed_quantity);
    case 'FLAT': return 'per session';
    default: return String(item.billed_quantity);
  }
}

async function openSession(id) {
  try {
    const d = await api(`/v1/operator/sessions/${encodeURIComponent(id)}`).then((r) => r.json());
    const s = d.session;
    const cost = s.cost;
    const detail = $('#session-detail');
    detail.hidden = false;
    detail.dataset.session = s.id;
    $('#session-title').textContent = `Session ${s.id}`;
    const facts = $('#session-facts');
    facts.replaceChildren();
    const fact = (name, value) => { el('dt', { text: name }, facts); el('dd', { text: value ?? '–' }, facts); };
    const reason = s.failure_reason || s.review_reason || d.stop_reason;
    fact('State', `${label(SESSION_LABELS, s.status)}${reason ? ` (${reason})` : ''}`);
    fact('Charger', `${d.charger_id}, connector ${d.connector_id} (${s.evse_id}), transaction ${d.transaction_id ?? '–'}`);
    fact('Driver', `${d.driver_email ?? 'unknown'}, by ${label(METHOD_LABELS, s.auth_method)} with token ${d.id_tag}`);
    fact('Started – stopped (UTC)', `${when(s.started_at)} – ${when(s.stopped_at)}`);
    fact('Energy and time', `${kwh(s.energy_wh)} in ${hms(s.duration_seconds)}`);
    fact('Total', `${money(cost.total_incl_vat_minor, cost.currency)} incl. ${money(cost.total_vat_minor, cost.currency)} VAT`);
    const p = d.payment;
    fact('Payment', p ? `${p.method}, ${p.status}: held ${money(p.held_minor, p.currency)}, captured ${money(p.captured_minor, p.currency)}`
      + `${p.uncollected_minor ? `, uncollected ${money(p.uncollected_minor, p.currency)}` : ''}, ${p.attempts} attempts${p.failure_reason ? ` (${p.failure_reason})` : ''}` : 'not paid through the app');
    fact('Receipt', d.receipt_issued ? 'signed receipt issued' : 'none issued');
    drawCurve($('#session-curve'), d.samples, d.meter_start_wh);
    const lines = $('#session-lines tbody');
    lines.replaceChildren();
    for (const item of cost.items) {
      row(lines, [label(LINE_LABELS, item.dimension), billed(item), perUnit(item, cost.currency), item.vat_percent == null ? '–' : `${item.vat_percent} %`,
        money(item.excl_vat_minor, cost.currency), money(item.vat_minor, cost.currency)]).dataset.dimension = item.dimension;
    }
    sayWhenEmpty(lines);
    detail.scrollIntoView({ block: 'nearest' });
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#session-status').textContent = error.message;
  }
}

function perUnit(item, currency) {
  const unit = { ENERGY: 'kWh', TIME: 'h', PARKING_TIME: 'h', FLAT: 'session' }[item.dimension] ?? '';
  const format = currencyFormat(currency, { maximumFractionDigits: 4 });
  return `${format ? format.format(String(item.unit_price)) : `${currency} ${item.unit_price}`} / ${unit}`;
}

/** Power (left axis, kW) and energy so far (right axis, kWh) over the charger's clock. */
function drawCurve(container, samples, meterStartWh) {
  container.replaceChildren();
  if (samples.length === 0) {
    el('p', { class: 'empty', text: 'The charger sent no meter samples for this session.' }, container);
    return;
  }
  const width = widthOf(container);
  const [left, right, top, height] = [56, 56, 20, 180];
  const bottom = top + height;
  const times = samples.map((p) => Date.parse(p.at));
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const x = (t) => left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (width - left - right);
  const maxW = Math.max(1, ...samples.map((p) => p.power_w ?? 0));
  const energy = (p) => (p.energy_wh == null || meterStartWh == null ? null : p.energy_wh - meterStartWh);
  const maxWh = Math.max(1, ...samples.map((p) => energy(p) ?? 0));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${bottom + 40}`, width, height: bottom + 40, role: 'img', 'aria-label': 'Power and energy over the session' }, container);
  svg('line', { x1: left, y1: bottom, x2: width - right, y2: bottom, class: 'axis' }, chart);
  svg('line', { x1: left, y1: top, x2: left, y2: bottom, class: 'axis' }, chart);
  svg('line', { x1: width - right, y1: top, x2: width - right, y2: bottom, class: 'axis' }, chart);
  svg('text', { x: 0, y: 12, class: 'axis-title', text: 'Power (kW)' }, chart);
  svg('text', { x: width, y: 12, class: 'axis-title', 'text-anchor': 'end', text: 'Energy (kWh)' }, chart);
  svg('text', { x: left - 4, y: top + 4, class: 'tick', 'text-anchor': 'end', text: (maxW / 1000).toFixed(1) }, chart);
  svg('text', { x: left - 4, y: bottom, class: 'tick', 'text-anchor': 'end', text: '0' }, chart);
  svg('text', { x: width - right + 4, y: top + 4, class: 'tick', text: (maxWh / 1000).toFixed(2) }, chart);
  svg('text', { x: width - right + 4, y: bottom, class: 'tick', text: '0' }, chart);
  svg('text', { x: left, y: bottom + 14, class: 'label', text: when(samples[0].at).slice(11) }, chart);
  svg('text', { x: width - right, y: bottom + 14, class: 'label', 'text-anchor': 'end', text: when(samples.at(-1).at).slice(11) }, chart);
  svg('text', { x: left + (width - left - right) / 2, y: bottom + 34, class: 'axis-title', 'text-anchor': 'middle', text: "Time (UTC, the charger's clock)" }, chart);
  const yPower = (w) => bottom - (w / maxW) * height;
  const yEnergy = (wh) => bottom - (wh / maxWh) * height;
  const powered = samples.filter((p) => p.power_w != null);
  const metered = samples.filter((p) => energy(p) != null);
  if (powered.length) svg('polyline', { class: 'power', points: powered.map((p) => `${x(Date.parse(p.at)).toFixed(1)},${yPower(p.power_w).toFixed(1)}`).join(' ') }, chart);
  if (metered.length) svg('polyline', { class: 'energy', points: metered.map((p) => `${x(Date.parse(p.at)).toFixed(1)},${yEnergy(energy(p)).toFixed(1)}`).join(' ') }, chart);
  for (const p of samples) {
    const c = svg('circle', { class: 'sample', cx: x(Date.parse(p.at)).toFixed(1), cy: yPower(p.power_w ?? 0).toFixed(1), r: 3,
      'data-at': p.at, 'data-power-w': p.power_w ?? '', 'data-energy-wh': p.energy_wh ?? '' }, chart);
    svg('title', { text: `${when(p.at)}: ${p.power_w == null ? '–' : `${(p.power_w / 1000).toFixed(1)} kW`}, ${energy(p) == null ? '–' : kwh(energy(p))}` }, c);
  }
}

let redrawTimer = null;

document.addEventListener('DOMContentLoaded', () => {
  $('#sign-in-form').addEventListener('submit', (event) => signIn(event).catch((e) => { $('#sign-in-error').textContent = e.message; }));
  $('#sign-out').addEventListener('click', signOut);
  $('#controls').addEventListener('submit', load);
  $('#auth-log-older').addEventListener('click', loadOlderLog);
  $('#session-search').addEventListener('submit', (event) => searchSessions(event));
  $('#charger').addEventListener('click', askToSend);
  $('#confirm-command').addEventListener('close', sendConfirmed);
  $('#sessions-more').addEventListener('click', () => searchSessions(null, session.sessionsAfter));
  for (const button of document.querySelectorAll('button[data-csv]')) button.addEventListener('click', downloadCsv);
  // Charts are drawn at the page's width: again when it changes (a phone turned, a window resized).
  window.addEventListener('resize', () => {
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(draw, 150);
  });
});
