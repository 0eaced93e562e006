// The API client: the token lives in sessionStorage (this tab only, gone
// when it closes) and travels in the Authorization header — never in a
// cookie, so no other site can make the browser send it (CSRF-safe).

const KEY = 'vigil.token';

export class AuthError extends Error {}

export function token() { return sessionStorage.getItem(KEY) || ''; }
// signedIn: a token (possibly empty, for a service without auth) was given.
export function signedIn() { return sessionStorage.getItem(KEY) !== null; }
export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function signOut() { sessionStorage.removeItem(KEY); }

function headers(extra) {
  const hd = new Headers(extra || {});
  const t = token();
  if (t) hd.set('Authorization', 'Bearer ' + t);
  return hd;
}

// api fetches path and returns its JSON; a 404 resolves to null when
// allow404, an error status throws (AuthError for 401).
export async function api(path, { method = 'GET', body, allow404 = false } = {}) {
  const init = { method, headers: headers({ Accept: 'application/json' }), cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers.set('Content-Type', 'application/json');
  }
  const resp = await fetch(path, init);
  if (resp.status === 401) throw new AuthError('the token was refused');
  if (resp.status === 404 && allow404) return null;
  let data = null;
  try { data = await resp.json(); } catch (e) { /* not JSON */ }
  if (!resp.ok) {
    const reason = data && data.error && data.error.reason ? data.error.reason : resp.statusText;
    throw new Error(resp.status + ': ' + reason);
  }
  return data;
}

// stream reads the alert stream (Server-Sent Events) with fetch, since
// EventSource cannot send an Authorization header, and calls onEvent(kind,
// alert) per event. It reconnects after errors with Last-Event-ID, so
// nothing is missed; onState reports "live" or "reconnecting". The
// returned function stops it.
export function stream(onEvent, onState) {
  const ctl = new AbortController();
  let lastID = '';
  let delay = 500;
  async function run() {
    while (!ctl.signal.aborted) {
      try {
        const hd = headers({ Accept: 'text/event-stream' });
        if (lastID) hd.set('Last-Event-ID', lastID);
        const resp = await fetch('/api/alerts/stream', { headers: hd, signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
        if (resp.status === 401) { onState('signed out'); return; }
        if (!resp.ok || !resp.body) throw new Error('stream: ' + resp.status);
        onState('live');
        delay = 500;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = parseEvent(block);
            if (ev.id) lastID = ev.id;
            if (ev.event && ev.data) {
              let alert = null;
              try { alert = JSON.parse(ev.data); } catch (e) { continue; }
              onEvent(ev.event.replace(/^alert\./, ''), alert);
            }
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  }
  run();
  return () => ctl.abort();
}

function parseEvent(block) {
  const ev = { data: '' };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'data') ev.data += (ev.data ? '\n' : '') + val;
    else if (field === 'event' || field === 'id') ev[field] = val;
  }
  return ev;
}
