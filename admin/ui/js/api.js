// The admin API, with the session cookie and its CSRF token.

let csrf = '';
let onSignedOut = () => {};

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function whenSignedOut(fn) {
  onSignedOut = fn;
}

// api fetches JSON; opts: method, json (a body to send), raw (return the
// Response), signal.
export async function api(path, opts = {}) {
  const headers = {Accept: 'application/json'};
  const method = opts.method || 'GET';
  let body;
  if (method !== 'GET' && method !== 'HEAD') headers['X-Telltale-CSRF'] = csrf;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    body = opts.body;
    headers['Content-Type'] = opts.contentType || 'text/plain';
  }
  const r = await fetch(path, {method, headers, body, credentials: 'same-origin', signal: opts.signal, cache: 'no-store'});
  if (r.status === 401) {
    onSignedOut();
    throw new APIError(401, await errorText(r));
  }
  if (!r.ok) throw new APIError(r.status, await errorText(r));
  return opts.raw ? r : r.json();
}

async function errorText(r) {
  try {
    const j = await r.json();
    return j.error || r.statusText;
  } catch {
    return `${r.status} ${r.statusText}`;
  }
}

// session loads the CSRF token of the signed-in session.
export async function session() {
  const s = await api('/api/session');
  csrf = s.csrf || '';
  return s;
}

// login trades a one-time nonce (from the /login#NONCE link) for a session.
export async function login(nonce) {
  const r = await fetch('/api/login', {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({nonce}),
  });
  if (!r.ok) throw new APIError(r.status, await errorText(r));
  csrf = (await r.json()).csrf;
}

export async function logout() {
  await api('/api/logout', {method: 'POST'});
  csrf = '';
}
