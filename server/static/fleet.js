// The fleet board and today's live revenue: reads /v1/operator/fleet/events (a `snapshot`, then
// `changes` batches, each changed charger whole) and keeps the page in step. Built for 10,000
// chargers: a batch touches only the rows of the chargers in it, and the counts and revenue are
// kept by subtracting a charger's old figures and adding its new ones, never recounted.
// Uses app.js's helpers ($, el, svg, label, money, kwh, hms, when, widthOf, sayWhenEmpty, session).
'use strict';

const FLEET_STATE_LABELS = {
  available: 'Available', occupied: 'Occupied', charging: 'Charging', faulted: 'Faulted', unavailable: 'Unavailable',
  offline: 'Offline', unknown: 'No status yet',
};
const FLEET_METHOD_LABELS = { app: 'App', rfid: 'RFID card', plug_and_charge: 'Plug & Charge' };
// The counts at the top; `online` is every charger not offline.
const FLEET_COUNTS = ['online', 'charging', 'faulted', 'offline'];
// A site's dot on the map takes its most pressing charger's colour.
const FLEET_SEVERITY = ['faulted', 'offline', 'unavailable', 'charging', 'occupied', 'available', 'unknown'];

const fleet = {
  chargers: new Map(), // id → charger as the server sent it
  rows: new Map(), // id → <tr> on the board
  revenueRows: new Map(), // id → <tr> in the per-charger revenue table
  counts: { online: 0, charging: 0, faulted: 0, offline: 0 },
  siteRevenue: new Map(), // `${site}\u0000${currency}` → sums
  sites: [],
  version: 0,
  controller: null,
  retry: null,
  ticker: null,
};

// --- the stream ---

function startFleet() {
  stopFleet();
  fleet.controller = new AbortController();
  const { signal } = fleet.controller;
  readFleet(signal).catch((error) => {
    if (signal.aborted) return;
    if (error instanceof Unauthorized) return signedOut('Your sign-in has expired.');
    fleetStatus(`Connection lost (${error.message}); reconnecting…`);
    fleet.retry = setTimeout(startFleet, 2000);
  });
  fleet.ticker = setInterval(tickElapsed, 5000);
}

function stopFleet() {
  if (fleet.controller) fleet.controller.abort();
  fleet.controller = null;
  clearTimeout(fleet.retry);
  clearInterval(fleet.ticker);
}

function fleetStatus(text) {
  $('#fleet-live').textContent = text;
}

async function readFleet(signal) {
  const response = await fetch('/v1/operator/fleet/events', {
    headers: { Authorization: `Bearer ${session.token}`, Accept: 'text/event-stream' }, signal,
  });
  if (response.status === 401) throw new Unauthorized('Your sign-in has expired.');
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseEvent(block);
      if (event && onFleetEvent(event.name, event.data) === 'end') return reconnectSoon();
    }
  }
  reconnectSoon();
}

function reconnectSoon() {
  if (!session.token) return;
  fleetStatus('Reconnecting…');
  fleet.retry = setTimeout(startFleet, 1000);
}

/** One SSE block: its `event:` name and the JSON of its `data:` lines (none for a comment). */
function parseEvent(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length ? { name, data: JSON.parse(data.join('\n')) } : null;
}

function onFleetEvent(name, data) {
  if (name === 'snapshot') drawSnapshot(data);
  else if (name === 'changes') applyChanges(data);
  else if (name === 'end') return 'end';
  return null;
}

// --- drawing ---

function drawSnapshot(snapshot) {
  fleet.chargers.clear();
  fleet.rows.clear();
  fleet.revenueRows.clear();
  fleet.siteRevenue.clear();
  for (const key of FLEET_COUNTS) fleet.counts[key] = 0;
  fleet.sites = snapshot.sites;
  const board = document.createDocumentFragment();
  const revenue = document.createDocumentFragment();
  for (const charger of snapshot.chargers) {
    fleet.chargers.set(charger.charger_id, charger);
    count(charger, 1);
    const tr = chargerRow(charger);
    fleet.rows.set(charger.charger_id, tr);
    board.appendChild(tr);
    const money = revenueRow(charger);
    if (money) {
      fleet.revenueRows.set(charger.charger_id, money);
      revenue.appendChild(money);
    }
  }
  $('#fleet-table tbody').replaceChildren(board);
  $('#live-revenue-chargers tbody').replaceChildren(revenue);
  sayWhenEmpty($('#live-revenue-chargers tbody'));
  fillSiteFilter();
  filterFleet();
  drawCounts();
  drawSiteRevenue();
  drawMap();
  fleetVersion(snapshot.version);
  fleetStatus(`Live · ${snapshot.chargers.length} chargers`);
}

function applyChanges(batch) {
  if (batch.version <= fleet.version) return;
  const chargersBefore = fleet.chargers.size;
  let mapChanged = false;
  for (const charger of batch.chargers) {
    const old = fleet.chargers.get(charger.charger_id);
    mapChanged ||= !old || old.state !== charger.state || old.site !== charger.site;
    if (old) count(old, -1);
    count(charger, 1);
    fleet.chargers.set(charger.charger_id, charger);
    const tr = chargerRow(charger);
    const oldRow = fleet.rows.get(charger.charger_id);
    if (oldRow) oldRow.replaceWith(tr);
    else $('#fleet-table tbody').appendChild(tr);
    fleet.rows.set(charger.charger_id, tr);
    tr.hidden = !matchesFilter(charger);
    updateRevenueRow(charger);
  }
  if (fleet.chargers.size !== chargersBefore) fillSiteFilter();
  drawCounts();
  drawSiteRevenue();
  // The map reads every charger: redrawn only when a state (a dot's colour) changed.
  if (mapChanged) drawMap();
  fleetVersion(batch.version);
}

/** The board's version on the page: tests and scripts wait for it. */
function fleetVersion(version) {
  fleet.version = version;
  $('#fleet').dataset.version = String(version);
}

/** Adds (`sign` 1) or takes away (-1) a charger's part of the counts and of the sites' revenue. */
function count(charger, sign) {
  if (charger.state === 'offline') fleet.counts.offline += sign;
  else fleet.counts.online += sign;
  if (charger.state === 'charging') fleet.counts.charging += sign;
  if (charger.state === 'faulted') fleet.counts.faulted += sign;
  for (const r of charger.revenue_today) {
    const key = `${charger.site ?? ''}\u0000${r.currency}`;
    const sums = fleet.siteRevenue.get(key) ?? { site: charger.site, currency: r.currency, completed_sessions: 0, completed_minor: 0, in_progress_sessions: 0, in_progress_minor: 0 };
    for (const field of ['completed_sessions', 'completed_minor', 'in_progress_sessions', 'in_progress_minor']) sums[field] += sign * r[field];
    fleet.siteRevenue.set(key, sums);
  }
}

function drawCounts() {
  for (const key of FLEET_COUNTS) $(`#fleet-counts [data-count="${key}"] strong`).textContent = String(fleet.counts[key]);
}

function connectorSession(s) {
  const started = s.started_at ?? s.created_at;
  const parts = [kwh(s.energy_wh), `${(s.power_w / 1000).toLocaleString(undefined, { maximumFractionDigits: 1 })} kW`, money(s.cost_incl_vat_minor, s.currency)];
  return { text: parts.join(' · '), method: FLEET_METHOD_LABELS[s.auth_method] ?? s.auth_method, started };
}

function chargerRow(charger) {
  const tr = el('tr', { 'data-charger': charger.charger_id, 'data-state': charger.state, class: `state-${charger.state}` });
  el('td', { text: charger.charger_id }, tr);
  el('td', { text: charger.site ?? '–' }, tr);
  el('td', { class: 'state', text: FLEET_STATE_LABELS[charger.state] ?? charger.state }, tr);
  const since = charger.connection_since ? ` since ${when(charger.connection_since)}` : '';
  el('td', { text: charger.connected ? `Connected${since}` : `Offline${charger.connection_since ? since : ', never connected'}` }, tr);
  const connectors = el('td', { class: 'connectors' }, tr);
  for (const c of charger.connectors) {
    const line = el('div', { class: 'connector', 'data-connector': c.connector_id }, connectors);
    const status = `${c.connector_id === 0 ? 'Charger' : `#${c.connector_id}`}: ${c.status}${c.error_code ? ` (${c.error_code})` : ''}`;
    el('span', { class: 'status', text: status }, line);
    if (c.session) {
      const s = connectorSession(c.session);
      el('span', { class: 'session', text: ` · ${s.text} · ` }, line);
      el('span', { class: 'elapsed', 'data-started': s.started, text: elapsed(s.started) }, line);
      el('span', { class: 'method', text: ` · ${s.method}` }, line);
    }
  }
  if (!charger.connectors.length) connectors.textContent = '–';
  const made = [charger.vendor, charger.model].filter(Boolean).join(' ');
  el('td', { text: made ? `${made}${charger.firmware_version ? ` · fw ${charger.firmware_version}` : ''}` : '–' }, tr);
  el('td', { text: when(charger.last_heartbeat_at) }, tr);
  return tr;
}

function elapsed(startedIso) {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(startedIso)) / 1000));
  return hms(seconds);
}

/** Sessions' elapsed times move on between batches. */
function tickElapsed() {
  for (const span of document.querySelectorAll('#fleet-table span.elapsed')) span.textContent = elapsed(span.dataset.started);
}

// --- filters ---

function fillSiteFilter() {
  const select = $('#fleet-filter select[name="site"]');
  const chosen = select.value;
  const sites = [...new Set([...fleet.chargers.values()].map((c) => c.site ?? ''))].sort();
  select.replaceChildren(el('option', { value: '', text: 'All sites' }));
  for (const site of sites) el('option', { value: site || '\u0000', text: site || 'No site' }, select);
  select.value = [...select.options].some((o) => o.value === chosen) ? chosen : '';
}

function matchesFilter(charger) {
  const form = $('#fleet-filter');
  const site = form.elements.site.value;
  const state = form.elements.state.value;
  if (site && (charger.site ?? '\u0000') !== site) return false;
  if (state === 'online') return charger.state !== 'offline';
  return !state || charger.state === state;
}

function filterFleet() {
  let shown = 0;
  for (const [id, tr] of fleet.rows) {
    tr.hidden = !matchesFilter(fleet.chargers.get(id));
    if (!tr.hidden) shown += 1;
  }
  $('#fleet-shown').textContent = `${shown} of ${fleet.rows.size} chargers shown`;
}

// --- today's revenue ---

function revenueRow(charger) {
  const figures = charger.revenue_today.filter((r) => r.completed_sessions || r.in_progress_sessions);
  if (!figures.length) return null;
  const tr = el('tr', { 'data-charger': charger.charger_id });
  el('td', { text: charger.charger_id }, tr);
  el('td', { text: charger.site ?? '–' }, tr);
  revenueCells(tr, figures);
  return tr;
}

function revenueCells(tr, figures) {
  const each = (f) => figures.map(f).join('\n');
  el('td', { text: each((r) => `${r.completed_sessions} · ${money(r.completed_minor, r.currency)}`) }, tr);
  el('td', { text: each((r) => `${r.in_progress_sessions} · ${money(r.in_progress_minor, r.currency)}`) }, tr);
  el('td', { class: 'total', text: each((r) => money(r.completed_minor + r.in_progress_minor, r.currency)) }, tr);
}

function updateRevenueRow(charger) {
  const tbody = $('#live-revenue-chargers tbody');
  const old = fleet.revenueRows.get(charger.charger_id);
  const tr = revenueRow(charger);
  if (old && tr) old.replaceWith(tr);
  else if (old) old.remove();
  else if (tr) {
    tbody.querySelector('tr.empty')?.remove();
    tbody.appendChild(tr);
  }
  if (tr) fleet.revenueRows.set(charger.charger_id, tr);
  else fleet.revenueRows.delete(charger.charger_id);
  sayWhenEmpty(tbody);
}

function drawSiteRevenue() {
  const tbody = $('#live-revenue-sites tbody');
  tbody.replaceChildren();
  const sums = [...fleet.siteRevenue.values()].filter((r) => r.completed_sessions || r.in_progress_sessions);
  sums.sort((a, b) => (a.site ?? '\uffff').localeCompare(b.site ?? '\uffff') || a.currency.localeCompare(b.currency));
  for (const r of sums) {
    const tr = el('tr', { 'data-site': r.site ?? '', 'data-currency': r.currency }, tbody);
    el('td', { text: r.site ?? 'No site' }, tr);
    revenueCells(tr, [r]);
  }
  sayWhenEmpty(tbody);
}

// --- the map ---

/** The configured sites as dots on a plain equirectangular projection of their bounding box. */
function drawMap() {
  const container = $('#fleet-map');
  const sites = fleet.sites;
  container.replaceChildren();
  if (!sites.length) {
    el('p', { class: 'note', text: 'No site has coordinates: give them under "sites" in the server configuration to see a map.' }, container);
    return;
  }
  const width = widthOf(container);
  const height = Math.round(Math.min(320, Math.max(180, width * 0.4)));
  const pad = 40;
  const lats = sites.map((s) => s.latitude);
  const lons = sites.map((s) => s.longitude);
  const span = Math.max(Math.max(...lats) - Math.min(...lats), Math.max(...lons) - Math.min(...lons), 0.01);
  const midLat = (Math.max(...lats) + Math.min(...lats)) / 2;
  const midLon = (Math.max(...lons) + Math.min(...lons)) / 2;
  // Degrees of longitude shrink with latitude: a square of ground stays square.
  const scale = Math.min((width - 2 * pad) / span / Math.cos((midLat * Math.PI) / 180), (height - 2 * pad) / span);
  const x = (lon) => width / 2 + (lon - midLon) * scale * Math.cos((midLat * Math.PI) / 180);
  const y = (lat) => height / 2 - (lat - midLat) * scale;
  const map = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Sites' }, container);
  svg('rect', { class: 'map-frame', x: 0.5, y: 0.5, width: width - 1, height: height - 1 }, map);
  const bySite = new Map();
  for (const c of fleet.chargers.values()) {
    if (!c.site) continue;
    const states = bySite.get(c.site) ?? [];
    states.push(c.state);
    bySite.set(c.site, states);
  }
  for (const site of sites) {
    const states = bySite.get(site.name) ?? [];
    const worst = FLEET_SEVERITY.find((s) => states.includes(s)) ?? 'unknown';
    const g = svg('g', { class: `site state-${worst}`, 'data-site': site.name }, map);
    const cx = x(site.longitude);
    const cy = y(site.latitude);
    svg('circle', { cx, cy, r: 6 + Math.min(10, Math.sqrt(states.length) * 2) }, g);
    svg('title', { text: `${site.name}: ${states.length} chargers` }, g);
    const anchor = cx > width * 0.7 ? 'end' : 'start';
    svg('text', { class: 'label', x: anchor === 'end' ? cx - 12 : cx + 12, y: cy + 4, 'text-anchor': anchor, text: `${site.name} (${states.length})` }, g);
    g.addEventListener('click', () => {
      $('#fleet-filter select[name="site"]').value = site.name;
      filterFleet();
    });
  }
}

// --- wiring ---

document.addEventListener('DOMContentLoaded', () => {
  $('#fleet-filter').addEventListener('change', filterFleet);
  $('#fleet-filter').addEventListener('submit', (event) => event.preventDefault());
  window.addEventListener('resize', () => { if (fleet.chargers.size) drawMap(); });
});
document.addEventListener('chargekit:signed-in', () => {
  $('#live').hidden = false;
  startFleet();
});
document.addEventListener('chargekit:signed-out', () => {
  stopFleet();
  $('#live').hidden = true;
  fleet.chargers.clear();
  fleet.rows.clear();
  fleet.version = 0;
  for (const part of ['#fleet-table tbody', '#live-revenue-sites tbody', '#live-revenue-chargers tbody', '#fleet-map']) $(part).replaceChildren();
});
