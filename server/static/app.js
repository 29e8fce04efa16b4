// ChargeKit operator dashboard: signs in as an operator, reads the JSON reports and draws them
// as SVG. No framework and nothing fetched from elsewhere; every text that came from the
// server is set with textContent, never parsed as HTML (id tags come from chargers).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const STATES = ['available', 'charging', 'faulted', 'unavailable', 'offline', 'unknown'];
const session = { token: null };

function $(selector) {
  return document.querySelector(selector);
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

/** Money from integer minor units, with the currency's own number of decimals. */
function money(minor, currency) {
  const format = new Intl.NumberFormat(undefined, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(minor / 10 ** digits);
}

function kwh(wh) {
  return `${(wh / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 })} kWh`;
}

function percent(share) {
  return share == null ? '–' : `${(share * 100).toFixed(1)} %`;
}

class Unauthorized extends Error {}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` } });
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

// --- sign-in ---

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
  session.token = (await response.json()).token;
  form.reset();
  $('#sign-in').hidden = true;
  $('#reports').hidden = false;
  await load();
}

function signedOut(message) {
  session.token = null;
  $('#reports').hidden = true;
  $('#sign-in').hidden = false;
  $('#sign-in-error').textContent = message;
}

// --- loading ---

async function load(event) {
  if (event) event.preventDefault();
  const status = $('#status');
  status.textContent = 'Loading…';
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
    drawRevenue(revenue);
    drawAvailability(performance);
    drawAuthentication(authentication, log);
    status.textContent = `${revenue.from} to ${revenue.to}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else status.textContent = error.message;
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

/** A vertical bar chart: `bars` are {label, value, title, attrs}; values in one unit. */
function barChart(container, bars, { height = 220, format = String, className = 'bar' } = {}) {
  const width = Math.max(320, bars.length * 28 + 70);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height + 40}`, width, height: height + 40, role: 'img' }, container);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const left = 64;
  const slot = (width - left - 6) / Math.max(1, bars.length);
  // Axis: zero and the maximum.
  svg('line', { x1: left, y1: height, x2: width, y2: height, class: 'axis' }, chart);
  svg('text', { x: left - 4, y: height, class: 'tick', 'text-anchor': 'end', text: format(0) }, chart);
  svg('text', { x: left - 4, y: 12, class: 'tick', 'text-anchor': 'end', text: format(max) }, chart);
  bars.forEach((bar, i) => {
    const h = (bar.value / max) * (height - 12);
    const rect = svg('rect', {
      class: className,
      x: (left + i * slot + slot * 0.15).toFixed(2),
      y: (height - h).toFixed(2),
      width: (slot * 0.7).toFixed(2),
      height: h.toFixed(2),
      ...bar.attrs,
    }, chart);
    svg('title', { text: bar.title }, rect);
    if (bars.length <= 40 || i % Math.ceil(bars.length / 40) === 0) {
      svg('text', { x: left + i * slot + slot / 2, y: height + 14, class: 'label', 'text-anchor': 'middle', text: bar.label }, chart);
    }
  });
  return chart;
}

function drawRevenue(report) {
  const container = $('#revenue-chart');
  container.replaceChildren();
  const currencies = [...new Set(report.rows.map((r) => r.currency))];
  if (currencies.length === 0) el('p', { class: 'empty', text: 'No completed sessions in this window.' }, container);
  for (const currency of currencies) {
    el('h3', { text: currency }, container);
    const rows = report.rows.filter((r) => r.currency === currency);
    const bars = rows.map((r) => ({
      label: r.period.length === 10 ? r.period.slice(5) : r.period,
      value: r.total_incl_vat_minor,
      title: `${r.period}: ${money(r.total_incl_vat_minor, currency)} incl. VAT, ${r.sessions} sessions, ${kwh(r.energy_wh)}`,
      attrs: { 'data-period': r.period, 'data-currency': currency, 'data-value': r.total_incl_vat_minor, 'data-sessions': r.sessions },
    }));
    barChart(container, bars, { format: (v) => money(v, currency) }).setAttribute('data-currency', currency);
  }
  const totals = $('#revenue-totals tbody');
  totals.replaceChildren();
  for (const t of report.totals) {
    row(totals, [t.currency, t.sessions, kwh(t.energy_wh), money(t.total_excl_vat_minor, t.currency), money(t.total_vat_minor, t.currency),
      money(t.total_incl_vat_minor, t.currency), t.avg_price_per_kwh_incl_vat ?? '–']).dataset.currency = t.currency;
  }
  $('#payment-source').textContent = `Source: ${report.payment_source}`;
  const states = $('#payment-states tbody');
  states.replaceChildren();
  for (const p of report.payment_states) {
    row(states, [p.currency, p.state, p.sessions, money(p.total_incl_vat_minor, p.currency), money(p.collected_minor, p.currency)]);
  }
}

function drawAvailability(report) {
  const container = $('#availability-chart');
  container.replaceChildren();
  const rows = report.rows;
  const barWidth = 520;
  const left = 150;
  const chart = svg('svg', { viewBox: `0 0 ${left + barWidth + 150} ${rows.length * 30 + 10}`, width: left + barWidth + 150, height: rows.length * 30 + 10, role: 'img' }, container);
  rows.forEach((r, i) => {
    const a = r.availability;
    const g = svg('g', {
      class: 'charger',
      transform: `translate(0 ${i * 30 + 5})`,
      'data-charger': r.charger_id,
      'data-availability': a.availability,
      'data-utilization': a.utilization,
      'data-observed-ms': a.observed_ms,
    }, chart);
    svg('text', { x: left - 8, y: 15, 'text-anchor': 'end', class: 'label', text: r.charger_id }, g);
    let x = left;
    for (const state of STATES) {
      const ms = a[`${state}_ms`];
      if (!ms || !a.observed_ms) continue;
      const w = (ms / a.observed_ms) * barWidth;
      const rect = svg('rect', { class: `segment ${state}`, x: x.toFixed(2), y: 2, width: w.toFixed(2), height: 18, 'data-state': state, 'data-ms': ms }, g);
      svg('title', { text: `${r.charger_id}: ${state} ${percent(ms / a.observed_ms)}` }, rect);
      x += w;
    }
    if (!a.observed_ms) svg('text', { x: left, y: 15, class: 'label', text: 'not observed' }, g);
    svg('text', { x: left + barWidth + 8, y: 15, class: 'label', text: `avail. ${percent(a.availability)} · used ${percent(a.utilization)}` }, g);
  });
  const legend = $('#availability-legend');
  legend.replaceChildren();
  for (const state of STATES) el('li', { class: state, text: state }, legend);

  const tbody = $('#performance-table tbody');
  tbody.replaceChildren();
  for (const r of rows) {
    const kw = (w) => (w == null ? '–' : (w / 1000).toFixed(1));
    const tts = r.time_to_start.avg_ms == null ? '–' : `${(r.time_to_start.avg_ms / 1000).toFixed(1)} s`;
    const faults = r.faults.map((f) => `${f.error_code} ×${f.reports}`).join(', ') || '–';
    row(tbody, [r.charger_id, r.site, `${r.sessions_completed} ok, ${r.sessions_failed} failed`, percent(r.success_rate), kwh(r.energy_wh),
      kw(r.avg_session_power_w), kw(r.peak_power_w), tts, faults, r.heartbeat_gaps.gaps]).dataset.charger = r.charger_id;
  }
}

function drawAuthentication(report, log) {
  const container = $('#auth-chart');
  container.replaceChildren();
  const bars = report.by_day.map((d) => ({
    label: d.day.slice(5),
    value: d.accepted + d.refused,
    title: `${d.day}: ${d.accepted} accepted, ${d.refused} refused`,
    attrs: { 'data-day': d.day, 'data-accepted': d.accepted, 'data-refused': d.refused },
  }));
  const chart = barChart(container, bars, { className: 'bar attempts' });
  // The refused part of each day, drawn over its bar.
  chart.querySelectorAll('rect.attempts').forEach((rect) => {
    const total = Number(rect.dataset.accepted) + Number(rect.dataset.refused);
    if (!total) return;
    const h = Number(rect.getAttribute('height')) * (Number(rect.dataset.refused) / total);
    svg('rect', { class: 'refused', x: rect.getAttribute('x'), y: rect.getAttribute('y'), width: rect.getAttribute('width'), height: h.toFixed(2) }, chart);
  });

  const methods = $('#auth-methods tbody');
  methods.replaceChildren();
  for (const m of report.by_method) row(methods, [m.method, m.attempts, m.accepted, m.refused]);
  const unknown = $('#unknown-tokens tbody');
  unknown.replaceChildren();
  for (const t of report.unknown_tokens) row(unknown, [t.id_tag, t.attempts, t.chargers, t.last_at]);
  $('#concurrent').textContent = `${report.concurrent_refusals} attempts refused as already charging elsewhere; `
    + `${report.concurrent_uses.length} times a token did charge at two chargers at once`
    + report.concurrent_uses.slice(0, 5).map((u) => ` (${u.id_tag}: ${u.first_charger_id} and ${u.second_charger_id})`).join('');

  const tbody = $('#auth-log tbody');
  tbody.replaceChildren();
  for (const e of log.entries) {
    const tr = row(tbody, [e.at.replace('T', ' ').slice(0, 19), e.method, e.id_tag, e.charger_id, e.result, e.reason]);
    tr.dataset.id = e.id;
    tr.dataset.result = e.result;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('#sign-in-form').addEventListener('submit', (event) => signIn(event).catch((e) => { $('#sign-in-error').textContent = e.message; }));
  $('#controls').addEventListener('submit', load);
  for (const button of document.querySelectorAll('button[data-csv]')) button.addEventListener('click', downloadCsv);
});
