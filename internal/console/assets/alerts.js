// The alerts page: filters (kept in the URL), the table, keyset paging,
// live updates from the stream and bulk status changes.

import { api } from './api.js';
import { h, clear, fmtTime, text, severityBadge, statusBadge } from './dom.js';

const PAGE = 50;
const FILTERS = ['rule', 'severity', 'host', 'status', 'from', 'to', 'q'];

// parentOf names the alert's parent process as the list column shows it.
export function parentOf(a) {
  return a['process.parent.name'] || a['process.parent.executable'] || a['process.parent.entity_id'] || '';
}

export async function alertsPage({ main, params, listen }) {
  const rules = await api('/api/rules');
  const filters = {};
  for (const k of FILTERS) if (params.get(k)) filters[k] = params.get(k);
  const cursors = []; // the cursors of the newer pages, for "Newer"
  let cursor = '';

  const field = (name, el) => h('label', { class: 'field' }, h('span', null, name), el);
  const ruleSel = h('select', { id: 'f-rule', name: 'rule' }, h('option', { value: '' }, 'any rule'),
    rules.rules.map((r) => h('option', { value: r.rule_id, selected: filters.rule === r.rule_id }, r.name)));
  const sevSel = h('select', { id: 'f-severity', name: 'severity' }, h('option', { value: '' }, 'any'),
    ['low', 'medium', 'high', 'critical'].map((s) => h('option', { value: s, selected: filters.severity === s }, s)));
  const statusSel = h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'any'),
    ['open', 'acknowledged', 'closed'].map((s) => h('option', { value: s, selected: filters.status === s }, s)));
  const host = h('input', { id: 'f-host', name: 'host', value: filters.host || '', placeholder: 'host.name' });
  const from = h('input', { id: 'f-from', name: 'from', type: 'datetime-local', step: 1, value: toLocalInput(filters.from) });
  const to = h('input', { id: 'f-to', name: 'to', type: 'datetime-local', step: 1, value: toLocalInput(filters.to) });
  const q = h('input', { id: 'f-q', name: 'q', type: 'search', value: filters.q || '', placeholder: 'rule, host, parent process, reason' });
  const form = h('form', { id: 'filters', class: 'filters', onsubmit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    const v = { rule: ruleSel.value, severity: sevSel.value, host: host.value.trim(), status: statusSel.value,
      from: fromLocalInput(from.value), to: fromLocalInput(to.value), q: q.value.trim() };
    for (const k of FILTERS) if (v[k]) p.set(k, v[k]);
    const next = '#/alerts' + (p.toString() ? '?' + p : '');
    if (location.hash === next) load(); else location.hash = next;
  } },
  field('Rule', ruleSel), field('Severity', sevSel), field('Host', host), field('Status', statusSel),
  field('From (UTC)', from), field('To (UTC)', to), field('Search', q),
  h('button', { type: 'submit', id: 'apply-filters' }, 'Apply'));

  const banner = h('p', { class: 'banner', id: 'new-alerts', hidden: true });
  const summary = h('span', { id: 'summary', class: 'muted' });
  const tbody = h('tbody');
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'select all', onchange: () => {
    for (const c of tbody.querySelectorAll('input[type=checkbox]')) c.checked = all.checked;
  } });
  const table = h('table', { id: 'alerts', class: 'grid' },
    h('thead', null, h('tr', null, h('th', null, all), ['Severity', 'Rule', 'Host', 'Parent process', 'Time', 'Status'].map((t) => h('th', null, t)))),
    tbody);
  const bulkStatus = h('select', { id: 'bulk-status' }, ['acknowledged', 'closed', 'open'].map((s) => h('option', { value: s }, s)));
  const bulkNote = h('input', { id: 'bulk-note', placeholder: 'note (optional)', maxlength: 4096 });
  const bulkMsg = h('span', { id: 'bulk-result', class: 'muted', role: 'status' });
  const bulk = h('div', { class: 'bulk' }, 'Selected: ', bulkStatus, ' ', bulkNote, ' ',
    h('button', { type: 'button', id: 'bulk-apply', onclick: async () => {
      const ids = [...tbody.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
      if (!ids.length) { bulkMsg.textContent = 'select alerts first'; return; }
      try {
        const res = await api('/api/alerts/_status', { method: 'POST', body: { ids, status: bulkStatus.value, note: bulkNote.value } });
        bulkMsg.textContent = res.updated + ' alert(s) set to ' + bulkStatus.value;
        all.checked = false;
        load();
      } catch (e) { bulkMsg.textContent = 'Error: ' + e.message; }
    } }, 'Set status'), ' ', bulkMsg);
  const older = h('button', { type: 'button', id: 'older', disabled: true, onclick: () => { cursors.push(cursor); cursor = older.value; load(); } }, 'Older →');
  const newer = h('button', { type: 'button', id: 'newer', disabled: true, onclick: () => { cursor = cursors.pop() || ''; load(); } }, '← Newer');

  main.append(h('h1', null, 'Alerts'), form, bulk, banner, table, h('div', { class: 'pager' }, newer, ' ', older, ' ', summary));

  const rows = new Map(); // alert id → its row, for live status changes
  async function load() {
    const p = new URLSearchParams(filters);
    p.set('size', PAGE);
    if (cursor) p.set('search_after', cursor);
    const res = await api('/api/alerts?' + p);
    clear(tbody);
    rows.clear();
    for (const a of res.alerts) tbody.append(row(a));
    if (!res.alerts.length) tbody.append(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No alerts match.')));
    summary.textContent = res.total + ' alert(s)';
    older.disabled = !res.next;
    older.value = res.next || '';
    newer.disabled = cursors.length === 0;
    banner.hidden = true;
  }
  function row(a) {
    const id = a['kibana.alert.uuid'];
    const tr = h('tr', { 'data-id': id },
      h('td', null, h('input', { type: 'checkbox', value: id, 'aria-label': 'select' })),
      h('td', null, severityBadge(a['kibana.alert.severity'])),
      h('td', null, h('a', { href: '#/alert/' + encodeURIComponent(id), class: 'rule-link' }, text(a['kibana.alert.rule.name']))),
      h('td', { class: 'host' }, text(a['host.name'])),
      h('td', { class: 'parent', title: text(parentOf(a)) }, text(parentOf(a))),
      h('td', { class: 'time' }, fmtTime(a['@timestamp'])),
      h('td', { class: 'status-cell' }, statusBadge(a['kibana.alert.workflow_status'])));
    rows.set(id, tr);
    return tr;
  }
  let pending = 0;
  let timer = null;
  listen((kind, a) => {
    const id = a['kibana.alert.uuid'];
    const tr = rows.get(id);
    if (tr && (kind === 'status' || kind === 'updated')) {
      const fresh = row(a);
      tr.replaceWith(fresh);
      return;
    }
    if (kind !== 'created' && kind !== 'replayed') return;
    if (!cursor) { // on the first page: refresh it (debounced)
      clearTimeout(timer);
      timer = setTimeout(load, 300);
      return;
    }
    pending++;
    clear(banner).append(pending + ' new alert(s) — ', h('a', { href: '#', onclick: (e) => { e.preventDefault(); cursors.length = 0; cursor = ''; pending = 0; load(); } }, 'show newest'));
    banner.hidden = false;
  });
  await load();
}

// The filters hold RFC 3339 (UTC); datetime-local inputs are read as UTC.
function toLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  return isNaN(d) ? '' : d.toISOString().slice(0, 19);
}

function fromLocalInput(v) {
  return v ? new Date(v + (v.length === 16 ? ':00' : '') + 'Z').toISOString() : '';
}
