// DOM construction without HTML parsing: every string becomes a text node
// or a property, never markup, so alert data (command lines, guides) cannot
// inject elements or scripts.

// h builds an element: attrs are set as attributes except on* handlers
// (functions, attached as listeners) and "class"; children are nodes or
// strings (text), nested arrays flattened, null/false skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'href') el.setAttribute('href', safeHref(v));
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'open') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// safeHref keeps in-page links (#…) and absolute http(s) URLs; anything
// else (javascript:, data:, relative paths) becomes inert.
export function safeHref(v) {
  const s = String(v);
  if (s.startsWith('#')) return s;
  try {
    const u = new URL(s);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
  } catch (e) { /* not absolute */ }
  return '#';
}

// externalLink opens an http(s) URL in a new tab without referrer; other
// URLs render as plain text.
export function externalLink(url, text) {
  if (safeHref(url) === '#') return document.createTextNode(String(text));
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, text);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// fmtTime shows an RFC 3339 time as "YYYY-MM-DD HH:MM:SS.mmmZ" (UTC, as
// the API); anything else as given.
export function fmtTime(v) {
  if (typeof v !== 'string') return v == null ? '' : String(v);
  const d = new Date(v);
  if (isNaN(d)) return v;
  return d.toISOString().replace('T', ' ');
}

// text renders any JSON value as one line of text.
export function text(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const SEVERITIES = ['low', 'medium', 'high', 'critical'];

// severityBadge: the class comes from a fixed list, never from data.
export function severityBadge(sev) {
  const cls = SEVERITIES.includes(sev) ? 'sev sev-' + sev : 'sev';
  return h('span', { class: cls }, text(sev));
}

const STATUSES = ['open', 'acknowledged', 'closed'];

export function statusBadge(st) {
  const cls = STATUSES.includes(st) ? 'status status-' + st : 'status';
  return h('span', { class: cls }, text(st));
}
