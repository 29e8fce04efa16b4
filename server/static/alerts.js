// The dashboard's alerts: those open now and the recently resolved, from GET /v1/operator/alerts,
// refreshed while the operator is signed in. Uses app.js's helpers (api, el, row, when,
// sayWhenEmpty); every text from the server is set with textContent.
'use strict';

const ALERT_REFRESH_MS = 5_000;
const RULE_LABELS = {
  ChargeKitChargerOffline: 'Charger offline', ChargeKitConnectorFaulted: 'Connector faulted', ChargeKitFailedStarts: 'Starts failing',
  ChargeKitHeartbeatGaps: 'Heartbeat gaps', ChargeKitAvailabilityBelowTarget: 'Availability under target',
  ChargeKitSessionsHeldForReview: 'Session held for review', ChargeKitCapturesFailing: 'Payment capture failing',
};
const SEVERITY_LABELS = { critical: 'Critical', warning: 'Warning', info: 'Info' };
const alertsView = { timer: null };

/** "2 of 2 delivered", "1 retrying (the webhook answered 500)", or "no webhook". */
function deliveriesText(deliveries) {
  if (deliveries.length === 0) return 'no webhook';
  const delivered = deliveries.filter((d) => d.state === 'delivered').length;
  const failing = deliveries.filter((d) => d.state !== 'delivered');
  const problems = failing.map((d) => `${d.state}${d.last_error ? ` (${d.last_error})` : ''}`);
  return [`${delivered} of ${deliveries.length} delivered`, ...problems].join('; ');
}

function alertRow(tbody, alert, cells) {
  const tr = row(tbody, cells);
  tr.dataset.alert = alert.id;
  tr.dataset.rule = alert.rule;
  tr.dataset.subject = alert.subject;
  tr.dataset.severity = alert.severity;
  return tr;
}

async function loadAlerts() {
  if (!session.token) return;
  const status = $('#alerts-status');
  try {
    const list = await api('/v1/operator/alerts?recent=20').then((r) => r.json());
    const open = $('#alerts-open tbody');
    open.replaceChildren();
    for (const a of list.open) {
      alertRow(open, a, [when(a.since), label(SEVERITY_LABELS, a.severity), label(RULE_LABELS, a.rule), a.summary, deliveriesText(a.deliveries)]);
    }
    sayWhenEmpty(open);
    const recent = $('#alerts-recent tbody');
    recent.replaceChildren();
    for (const a of list.recent) {
      alertRow(recent, a, [when(a.opened_at), when(a.resolved_at), label(RULE_LABELS, a.rule), a.summary, deliveriesText(a.deliveries)]);
    }
    sayWhenEmpty(recent);
    $('#alerts-count').textContent = list.open.length === 0 ? 'none open' : `${list.open.length} open`;
    status.textContent = '';
    $('#alerts').dataset.loaded = 'true';
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else status.textContent = error.message;
  }
}

function stopAlerts() {
  clearInterval(alertsView.timer);
  alertsView.timer = null;
  $('#alerts').hidden = true;
  delete $('#alerts').dataset.loaded;
  for (const part of ['#alerts-open tbody', '#alerts-recent tbody']) $(part).replaceChildren();
}

/** Shown, and refreshed, while the reports are (that is, while an operator is signed in). */
function followSignIn() {
  if ($('#reports').hidden) {
    stopAlerts();
    return;
  }
  $('#alerts').hidden = false;
  if (!alertsView.timer) {
    alertsView.timer = setInterval(loadAlerts, ALERT_REFRESH_MS);
    loadAlerts();
  }
}

document.addEventListener('DOMContentLoaded', () => {
  new MutationObserver(followSignIn).observe($('#reports'), { attributes: true, attributeFilter: ['hidden'] });
  $('#alerts-refresh').addEventListener('click', loadAlerts);
});
