// Telltale review UI: hash routes, sign-in, live updates.
import {h, parseHash, toast} from './js/util.js';
import {login, logout, session, whenSignedOut} from './js/api.js';
import * as captures from './js/captures.js';
import * as detail from './js/detail.js';
import * as diff from './js/diff.js';
import * as timeline from './js/timeline.js';
import * as evidence from './js/evidence.js';
import * as personal from './js/personal.js';
import * as reconcile from './js/reconcile.js';
import * as refusals from './js/refusals.js';
import * as position from './js/position.js';
import * as glossary from './js/glossary.js';
import {loadNumbers, noteCapture} from './js/numbers.js';

const pages = {position, captures, capture: detail, diff, timeline, evidence, personal, reconcile, glossary};
const nav = {position: 'position', captures: 'captures', capture: 'captures', diff: 'captures', timeline: 'timeline', evidence: 'evidence', personal: 'personal', reconcile: 'reconcile', glossary: 'glossary'};
const main = document.getElementById('main');
let current = null;
let events = null;

function signIn(message) {
  if (events) events.close();
  document.querySelector('.top').hidden = true;
  main.replaceChildren(h('div.signin.card',
    h('h1', 'Sign in to Telltale'),
    message ? h('p.err-text', message) : null,
    h('p', 'On the machine that runs ', h('code', 'telltale serve'), ', ask it for a one-time login link:'),
    h('pre', 'telltale ui --data DATA_DIR'),
    h('p.muted', 'Open the link it prints within two minutes. It works once, and signs this browser in; ' +
      'the admin token itself never appears in a link.')));
}

async function route() {
  const r = parseHash();
  const mod = pages[r.page];
  if (!mod) {
    location.hash = '#/position';
    return;
  }
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('on', a.dataset.page === nav[r.page]);
  if (current && current.unmount) current.unmount();
  current = mod;
  document.title = 'Telltale — ' + (r.page === 'capture' ? 'capture ' + (r.args[0] || '') : r.page);
  try {
    await mod.mount(main, r);
  } catch (e) {
    if (e.status !== 401) main.replaceChildren(h('div.card', h('p.err-text', e.message || String(e))));
  }
}

function startEvents() {
  const live = document.getElementById('live');
  events = new EventSource('/api/events');
  let lost = false;
  events.addEventListener('open', () => {
    live.classList.add('on');
    live.textContent = 'live';
    // Back after an outage: what came meanwhile was not streamed.
    if (lost && current && current.onCapture) current.onCapture({});
    lost = false;
  });
  events.addEventListener('error', () => {
    lost = true;
    live.classList.remove('on');
    live.textContent = 'reconnecting…';
  });
  events.addEventListener('capture', ev => {
    const item = JSON.parse(ev.data);
    noteCapture(item);
    if (current && current.onCapture) current.onCapture(item);
  });
}

async function boot() {
  whenSignedOut(() => signIn('Your session ended: sign in again.'));
  let loginError = null;
  if (location.pathname === '/login') {
    const nonce = location.hash.slice(1);
    history.replaceState(null, '', '/#/position'); // the nonce leaves the address bar and history
    await login(nonce).catch(e => { loginError = e; });
  }
  try {
    await session();
  } catch (e) {
    signIn(loginError ? loginError.message : e.status === 401 ? null : e.message);
    return;
  }
  if (loginError) toast('Already signed in; the link was not used: ' + loginError.message);
  document.querySelector('.top').hidden = false;
  document.getElementById('logout').addEventListener('click', async () => {
    await logout().catch(() => {});
    signIn('Signed out.');
  });
  startEvents();
  refusals.start();
  await loadNumbers(); // links name captures by number
  window.addEventListener('hashchange', route);
  route();
}

boot();
