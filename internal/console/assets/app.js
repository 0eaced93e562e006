// The console's shell: sign-in, the hash router (#/alerts, #/alert/ID,
// #/rules) and the alert stream shared by the pages.

import { api, AuthError, token, setToken, signOut, signedIn, stream } from './api.js';
import { h, clear } from './dom.js';
import { alertsPage } from './alerts.js';
import { alertPage } from './alert.js';
import { rulesPage } from './rules.js';

const main = document.getElementById('main');
const live = document.getElementById('live');
const signoutBtn = document.getElementById('signout');

// Pages register a listener for stream events while shown.
let listener = null;
let stopStream = null;

function startStream() {
  if (stopStream) return;
  stopStream = stream((kind, alert) => { if (listener) listener(kind, alert); }, (state) => {
    live.textContent = state === 'live' ? '● live' : state;
    live.className = 'live ' + (state === 'live' ? 'on' : 'off');
  });
}

function signIn(message) {
  if (stopStream) { stopStream(); stopStream = null; }
  signoutBtn.hidden = true;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', size: 40 });
  const form = h('form', { id: 'signin', class: 'card signin', onsubmit: async (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    route();
  } },
  h('h1', null, 'Sign in'),
  h('p', null, 'Enter the API token of this Vigil service (auth.token; empty when it has none). It is kept in this tab only.'),
  message ? h('p', { class: 'error', role: 'alert' }, message) : null,
  h('label', { for: 'token' }, 'Token '), input, ' ',
  h('button', { type: 'submit', id: 'signin-submit' }, 'Sign in'));
  clear(main).append(form);
  input.focus();
}

signoutBtn.addEventListener('click', () => { signOut(); signIn(); });

let routes = 0;

async function route() {
  const seq = ++routes;
  listener = null;
  const hash = location.hash || '#/alerts';
  const [path, query] = hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  if (!signedIn()) { signIn(); return; }
  try {
    // One cheap authenticated call checks the token before the page.
    await api('/api/alerts?size=1');
    if (seq !== routes) return;
    signoutBtn.hidden = !token();
    startStream();
    // Each route renders into its own container: a slower earlier route
    // finishing late writes into a detached one, and cannot take the stream.
    const page = h('div');
    clear(main).append(page);
    const ctx = { main: page, params, listen: (fn) => { if (page.isConnected) listener = fn; } };
    if (parts[0] === 'alert' && parts[1]) await alertPage(ctx, decodeURIComponent(parts[1]));
    else if (parts[0] === 'rules') await rulesPage(ctx);
    else await alertsPage(ctx);
  } catch (e) {
    if (e instanceof AuthError) { signOut(); signIn('That token was refused.'); return; }
    if (seq !== routes) return; // a later route owns the page
    clear(main).append(h('p', { class: 'error', role: 'alert' }, 'Error: ' + e.message));
  }
}

window.addEventListener('hashchange', route);
route();
