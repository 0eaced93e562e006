// The rules page: each loaded rule, its type, schedule and mode, and what
// it has done since the service started.

import { api } from './api.js';
import { h, fmtTime, text } from './dom.js';

export async function rulesPage({ main }) {
  const res = await api('/api/rules');
  const tbody = h('tbody');
  for (const r of res.rules) {
    const errs = r.errors || [];
    tbody.append(h('tr', { 'data-rule': r.rule_id },
      h('td', null, h('a', { href: '#/alerts?rule=' + encodeURIComponent(r.rule_id) }, text(r.name))),
      h('td', null, text(r.type)),
      h('td', null, text(r.mode), h('div', { class: 'muted' }, 'every ' + text(r.interval) + ', from ' + text(r.from))),
      h('td', { class: 'num events-matched' }, text(r.events_matched)),
      h('td', { class: 'num alerts-raised' }, text(r.alerts)),
      h('td', null, r.last_evaluation ? fmtTime(r.last_evaluation) : h('span', { class: 'muted' }, 'never')),
      h('td', { class: 'errors' }, errs.length === 0 ? h('span', { class: 'muted' }, 'none')
        : h('details', null, h('summary', { class: 'error' }, errs.length + ' error(s)'),
          h('ul', null, errs.map((e) => h('li', null, fmtTime(e.at) + ' ' + text(e.message))))))));
  }
  main.append(h('h1', null, 'Rules'), h('p', { class: 'muted' }, res.total + ' rule(s) loaded; counts since the service started.'),
    h('table', { id: 'rules', class: 'grid' },
      h('thead', null, h('tr', null, ['Rule', 'Type', 'Schedule / mode', 'Events matched', 'Alerts', 'Last evaluation', 'Errors'].map((t) => h('th', null, t)))),
      tbody));
}
