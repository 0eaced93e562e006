// A markdown renderer for investigation guides that builds DOM nodes
// directly: text is only ever a text node, so raw HTML in a guide (a
// <script>, an <img onerror>) shows literally and never runs; links keep
// only http(s) targets. It covers what Elastic's guides use: ATX headings,
// paragraphs, nested bullet and numbered lists, block quotes, fenced code,
// and inline code, bold, italics and links.

import { h, externalLink } from './dom.js';

export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
  blocks(lines, frag);
  return frag;
}

function blocks(lines, parent) {
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      parent.append(h('pre', null, h('code', null, body.join('\n'))));
      continue;
    }
    const head = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (head) {
      // Guides start at ##: shift so the page keeps one h1.
      const level = Math.min(6, head[1].length + 1);
      parent.append(inline(h('h' + level, null), head[2]));
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) body.push(lines[i++].replace(/^\s*> ?/, ''));
      const q = h('blockquote');
      blocks(body, q);
      parent.append(q);
      continue;
    }
    if (listItem(line)) {
      i = list(lines, i, parent);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*>|\s*(```|~~~))/.test(lines[i]) && !listItem(lines[i])) para.push(lines[i++].trim());
    parent.append(inline(h('p'), para.join(' ')));
  }
}

function listItem(line) {
  const m = line.match(/^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/);
  return m ? { indent: m[1].replace(/\t/g, '    ').length, ordered: /\d/.test(m[2]), text: m[3] } : null;
}

// list renders the list starting at lines[i] (items at its indentation;
// deeper items nest) and returns the index after it.
function list(lines, i, parent) {
  const first = listItem(lines[i]);
  const el = h(first.ordered ? 'ol' : 'ul');
  let li = null;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      const next = i + 1 < lines.length ? listItem(lines[i + 1]) : null;
      if (next && next.indent >= first.indent) { i++; continue; }
      break;
    }
    const it = listItem(line);
    if (it && it.indent > first.indent && li) {
      i = list(lines, i, li);
      continue;
    }
    if (it && it.indent === first.indent) {
      li = inline(h('li'), it.text);
      el.append(li);
      i++;
      continue;
    }
    if (!it && li && /^\s+/.test(line)) { // a continuation line
      inline(li, ' ' + line.trim());
      i++;
      continue;
    }
    break;
  }
  parent.append(el);
  return i;
}

// inline appends the inline markup of s to el.
function inline(el, s) {
  const re = /(`+)([\s\S]*?)\1|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_|\[([^\]]*)\]\(\s*((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\s*\)|<(https?:\/\/[^>\s]+)>/g;
  let last = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    if (m.index > last) el.append(document.createTextNode(s.slice(last, m.index)));
    if (m[1]) el.append(h('code', null, m[2]));
    else if (m[3] !== undefined || m[4] !== undefined) el.append(inline(h('strong'), m[3] !== undefined ? m[3] : m[4]));
    else if (m[5] !== undefined || m[6] !== undefined) el.append(inline(h('em'), m[5] !== undefined ? m[5] : m[6]));
    else if (m[7] !== undefined) el.append(externalLink(m[8], m[7]));
    else if (m[9]) el.append(externalLink(m[9], m[9]));
    last = re.lastIndex;
  }
  if (last < s.length) el.append(document.createTextNode(s.slice(last)));
  return el;
}
