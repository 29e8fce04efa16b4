// The OCPP message log on the dashboard's session page (that transaction's frames) and charger
// page (its log, paged). It follows app.js's pages: a session or charger opened (their
// data-session / data-charger set) loads its frames; a page hidden clears them. Payloads are
// shown as the server keeps them: secrets redacted. Every text is set with textContent.
'use strict';

const MESSAGE_PAGE = 50;
const messagesView = { chargerBefore: null };

function direction(m) {
  return m.direction === 'in' ? 'charger → server' : 'server → charger';
}

function messageRows(tbody, messages) {
  tbody.querySelector('tr.empty')?.remove();
  for (const m of messages) {
    const kind = { call: 'request', result: 'answer', error: 'error' }[m.kind] ?? m.kind;
    const tr = row(tbody, [when(m.at), direction(m), `${m.action ?? 'unknown'} ${kind}`, m.message_id, JSON.stringify(m.payload)]);
    tr.dataset.message = m.id;
    tr.dataset.direction = m.direction;
    tr.dataset.kind = m.kind;
    tr.dataset.action = m.action ?? '';
  }
  sayWhenEmpty(tbody);
}

async function loadSessionMessages() {
  const detail = $('#session-detail');
  const tbody = $('#session-messages tbody');
  if (detail.hidden || !detail.dataset.session) {
    tbody.replaceChildren();
    return;
  }
  try {
    const page = await api(`/v1/operator/sessions/${encodeURIComponent(detail.dataset.session)}/messages`).then((r) => r.json());
    tbody.replaceChildren();
    if (detail.hidden) return; // closed while loading
    messageRows(tbody, page.messages);
    tbody.closest('table').dataset.session = detail.dataset.session;
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#session-status').textContent = error.message;
  }
}

async function loadChargerMessages(older = false) {
  const article = $('#charger');
  const tbody = $('#charger-messages tbody');
  const more = $('#charger-messages-older');
  if (article.hidden || !article.dataset.charger) {
    tbody.replaceChildren();
    more.hidden = true;
    return;
  }
  const params = new URLSearchParams({ limit: String(MESSAGE_PAGE) });
  if (older && messagesView.chargerBefore != null) params.set('before', String(messagesView.chargerBefore));
  try {
    const page = await api(`/v1/operator/chargers/${encodeURIComponent(article.dataset.charger)}/messages?${params}`).then((r) => r.json());
    if (!older) tbody.replaceChildren();
    if (article.hidden) return; // closed while loading
    messageRows(tbody, page.messages);
    tbody.closest('table').dataset.charger = article.dataset.charger;
    messagesView.chargerBefore = page.next_before ?? null;
    more.hidden = messagesView.chargerBefore == null;
  } catch (error) {
    if (error instanceof Unauthorized) signedOut(error.message);
    else $('#status').textContent = error.message;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const watch = (selector, attributes, load) => new MutationObserver(() => load()).observe($(selector), { attributes: true, attributeFilter: attributes });
  watch('#session-detail', ['hidden', 'data-session'], loadSessionMessages);
  watch('#charger', ['hidden', 'data-charger'], () => loadChargerMessages(false));
  $('#charger-messages-older').addEventListener('click', () => loadChargerMessages(true));
});
