// The alert page: the rule's metadata, reason, matched values, the
// investigation guide, the evidence events, the process tree, the host's
// timeline and the workflow. The evidence endpoints may be absent (404):
// the sections then say so.

import { api } from './api.js';
import { h, clear, fmtTime, text, externalLink, severityBadge, statusBadge } from './dom.js';
import { renderMarkdown } from './markdown.js';

// get reads a field from an event's _source, nested or dotted.
export function get(src, path) {
  if (!src || typeof src !== 'object') return undefined;
  if (path in src) return src[path];
  const parts = path.split('.');
  for (let i = 1; i < parts.length; i++) {
    const head = parts.slice(0, i).join('.');
    if (src[head] && typeof src[head] === 'object') {
      const v = get(src[head], parts.slice(i).join('.'));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

const NONE = 'No evidence recorded for this alert.';

function section(id, title, ...body) {
  return h('section', { id, class: 'card' }, h('h2', null, title), ...body);
}

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', null, k), h('dd', null, v instanceof Node ? v : text(v))]));
}

export async function alertPage({ main, listen }, id) {
  const enc = encodeURIComponent(id);
  const a = await api('/api/alerts/' + enc);
  const ruleName = text(a['kibana.alert.rule.name']);
  const statusHolder = h('span', { id: 'status' }, statusBadge(a['kibana.alert.workflow_status']));
  const evidence = section('evidence', 'Evidence events', h('p', { class: 'muted' }, 'Loading…'));
  const tree = section('tree', 'Process tree', h('p', { class: 'muted' }, 'Loading…'));
  const timeline = section('timeline', 'Host timeline (± 5 minutes)', h('p', { class: 'muted' }, 'Loading…'));
  const workflow = section('workflow', 'Workflow');
  main.append(
    h('p', null, h('a', { href: '#/alerts' }, '← Alerts')),
    h('h1', { id: 'alert-title', 'data-id': id }, ruleName, ' ', severityBadge(a['kibana.alert.severity']), ' ', statusHolder),
    h('div', { class: 'columns' },
      h('div', { class: 'col-main' },
        section('meta', 'Rule', kv([
          ['Severity', a['kibana.alert.rule.severity'] || a['kibana.alert.severity']],
          ['Risk score', a['kibana.alert.risk_score']],
          ['MITRE ATT&CK', threat(a['kibana.alert.rule.threat'])],
          ['Tags', tags(a['kibana.alert.rule.tags'])],
          ['Version', a['kibana.alert.rule.version']],
          ['Rule id', a['kibana.alert.rule.rule_id']],
          ['Host', a['host.name']],
          ['Detected', fmtTime(a['@timestamp'])],
          ['Alert id', id],
        ])),
        section('reason', 'Reason', h('p', { class: 'reason' }, text(a['kibana.alert.reason']))),
        workflow,
        section('matched', 'Matched values', matched(a)),
        tree, evidence, timeline,
        section('raw', 'Alert document', h('details', null, h('summary', null, 'JSON'), h('pre', null, JSON.stringify(a, null, 2))))),
      h('div', { class: 'col-side' },
        section('guide', 'Investigation guide', a['kibana.alert.rule.note']
          ? h('div', { class: 'markdown' }, renderMarkdown(a['kibana.alert.rule.note'])) : h('p', { class: 'muted' }, 'This rule has no guide.')))));
  renderWorkflow(workflow, a, statusHolder, enc);
  // Changes made elsewhere (another analyst, a bulk change) arrive on the
  // stream; this page's own change is already shown when its echo comes.
  listen((kind, b) => {
    if (b['kibana.alert.uuid'] === id && kind === 'status' && Array.isArray(b.workflow) && b.workflow.length > workflow.shown) {
      renderWorkflow(workflow, b, statusHolder, enc);
    }
  });
  await Promise.all([
    fill(evidence, api('/api/alerts/' + enc + '/events', { allow404: true }), (r) => eventTable('evidence-table', r.events, r.truncated, r.total)),
    fill(tree, api('/api/alerts/' + enc + '/tree', { allow404: true }), processTree),
    fill(timeline, api('/api/alerts/' + enc + '/timeline?before=5m&after=5m', { allow404: true }),
      (r) => eventTable('timeline-table', r.events, r.truncated)),
  ]);
}

// fill replaces a section's body with render(result), "no evidence" when
// the endpoint answered 404, or the error.
async function fill(sec, promise, render) {
  let body;
  try {
    const r = await promise;
    body = r ? render(r) : h('p', { class: 'muted none' }, NONE);
  } catch (e) {
    body = h('p', { class: 'error' }, 'Error: ' + e.message);
  }
  while (sec.childNodes.length > 1) sec.removeChild(sec.lastChild);
  sec.append(body);
}

function threat(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('ul', { class: 'threat' }, list.map((t) => h('li', null,
    t.tactic ? externalLink(t.tactic.reference, text(t.tactic.id) + ' ' + text(t.tactic.name)) : null,
    Array.isArray(t.technique) && t.technique.length ? h('ul', null, t.technique.map((q) => h('li', null,
      externalLink(q.reference, text(q.id) + ' ' + text(q.name)),
      Array.isArray(q.subtechnique) && q.subtechnique.length
        ? h('ul', null, q.subtechnique.map((s) => h('li', null, externalLink(s.reference, text(s.id) + ' ' + text(s.name))))) : null))) : null)));
}

function tags(list) {
  if (!Array.isArray(list) || !list.length) return null;
  return h('span', { class: 'tags' }, list.map((t) => h('span', { class: 'tag' }, text(t))));
}

function matched(a) {
  const keys = Object.keys(a).filter((k) => k.startsWith('Esql.')).sort();
  if (!keys.length) return h('p', { class: 'muted' }, 'No Esql.* values.');
  return h('table', { class: 'grid', id: 'matched-table' }, h('tbody', null, keys.map((k) => h('tr', null,
    h('th', null, k.slice(5)),
    h('td', null, Array.isArray(a[k]) ? h('ul', { class: 'values' }, a[k].map((v) => h('li', null, text(v)))) : text(a[k]))))));
}

const EVENT_COLUMNS = [
  ['Time', '@timestamp'], ['Action', 'event.action'], ['Process', 'process.name'], ['PID', 'process.pid'],
  ['Command line', 'process.command_line'], ['User', 'user.name'], ['Parent', 'process.parent.name'],
];

function eventTable(id, events, truncated, total) {
  if (!events || !events.length) return h('p', { class: 'muted none' }, NONE);
  return h('div', null,
    h('table', { class: 'grid events', id }, h('thead', null, h('tr', null, EVENT_COLUMNS.map(([t]) => h('th', null, t)))),
      h('tbody', null, events.map((e) => h('tr', { 'data-id': text(e._id) }, EVENT_COLUMNS.map(([, f]) => {
        const v = get(e._source, f);
        return h('td', { class: f === 'process.command_line' ? 'cmd' : null }, f === '@timestamp' ? fmtTime(v) : text(v));
      }))))),
    truncated ? h('p', { class: 'muted' }, 'Truncated' + (total ? ': ' + total + ' events in all.' : '.')) : null);
}

const ROLES = ['ancestor', 'focus', 'child', 'descendant', 'sibling'];

// processTree draws the nodes as nested collapsible lists: each node under
// its parent (nodes whose parent is absent are roots), matched nodes
// highlighted, the alert's focus marked.
export function processTree(r) {
  const nodes = Array.isArray(r.nodes) ? r.nodes : [];
  if (!nodes.length) return h('p', { class: 'muted none' }, NONE);
  const byID = new Map(nodes.map((n) => [n.entity_id, n]));
  const kids = new Map();
  const roots = [];
  for (const n of nodes) {
    if (n.parent_entity_id && byID.has(n.parent_entity_id) && n.parent_entity_id !== n.entity_id) {
      if (!kids.has(n.parent_entity_id)) kids.set(n.parent_entity_id, []);
      kids.get(n.parent_entity_id).push(n);
    } else roots.push(n);
  }
  const seen = new Set();
  function item(n) {
    if (seen.has(n.entity_id)) return null; // a cycle in bad data
    seen.add(n.entity_id);
    const cls = ['node'];
    if (ROLES.includes(n.role)) cls.push('role-' + n.role);
    if (n.matched) cls.push('matched');
    const label = h('span', { class: 'label' },
      h('span', { class: 'pname' }, text(n.name || n.executable || n.entity_id)),
      n.pid != null ? h('span', { class: 'pid' }, ' [' + text(n.pid) + ']') : null,
      n.user ? h('span', { class: 'user' }, ' ' + text(n.user)) : null,
      n.matched ? h('span', { class: 'flag' }, ' matched') : null,
      n.role === 'focus' ? h('span', { class: 'flag' }, ' alert focus') : null,
      h('div', { class: 'cmd' }, text(n.command_line || (Array.isArray(n.args) ? n.args.join(' ') : ''))),
      h('div', { class: 'muted small' }, fmtTime(n.start) + (n.end ? ' → ' + fmtTime(n.end) : ' (running)') +
        (n.working_directory ? ' · cwd ' + text(n.working_directory) : '')));
    const children = (kids.get(n.entity_id) || []).map(item).filter(Boolean);
    const li = h('li', { class: cls.join(' '), 'data-entity': text(n.entity_id) });
    if (children.length) li.append(h('details', { open: true }, h('summary', null, label), h('ul', null, children)));
    else li.append(label);
    return li;
  }
  const list = h('ul', { class: 'ptree', id: 'process-tree' }, roots.map(item).filter(Boolean));
  // Nodes only reachable through a cycle have no root: list them flat.
  for (const n of nodes) if (!seen.has(n.entity_id)) list.append(item(n));
  return h('div', null, list, r.truncated ? h('p', { class: 'muted' }, 'Truncated.') : null);
}

function renderWorkflow(sec, a, statusHolder, enc) {
  while (sec.childNodes.length > 1) sec.removeChild(sec.lastChild);
  sec.shown = Array.isArray(a.workflow) ? a.workflow.length : 0;
  clear(statusHolder).append(statusBadge(a['kibana.alert.workflow_status']));
  const cur = a['kibana.alert.workflow_status'];
  const sel = h('select', { id: 'wf-status' }, ['open', 'acknowledged', 'closed'].map((s) => h('option', { value: s, selected: s === cur }, s)));
  const note = h('textarea', { id: 'wf-note', rows: 2, cols: 50, maxlength: 4096, placeholder: 'note (optional)' });
  const msg = h('span', { id: 'wf-result', role: 'status', class: 'muted' });
  const form = h('form', { id: 'wf-form', class: 'workflow', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const b = await api('/api/alerts/' + enc + '/status', { method: 'POST', body: { status: sel.value, note: note.value } });
      renderWorkflow(sec, b, statusHolder, enc);
      sec.querySelector('#wf-result').textContent = 'Saved.';
    } catch (err) { msg.textContent = 'Error: ' + err.message; }
  } }, h('label', null, 'Status ', sel), ' ', note, ' ', h('button', { type: 'submit', id: 'wf-submit' }, 'Change status'), ' ', msg);
  const hist = Array.isArray(a.workflow) ? a.workflow : [];
  sec.append(form, hist.length
    ? h('table', { class: 'grid', id: 'wf-history' }, h('thead', null, h('tr', null, ['Time', 'Status', 'Note', 'By'].map((t) => h('th', null, t)))),
      h('tbody', null, hist.map((w) => h('tr', null, h('td', null, fmtTime(w.at)), h('td', null, statusBadge(w.status)),
        h('td', { class: 'note' }, text(w.note)), h('td', null, w.by == null ? h('span', { class: 'muted' }, '—') : text(w.by))))))
    : h('p', { class: 'muted', id: 'wf-history' }, 'No status changes yet.'));
}
