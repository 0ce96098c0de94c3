// Secrets (Authorization, cookies, clientSecret, tokens) show masked
// until the reader reveals them; the names come from GET /api/profile
// (evidence.redact_headers and redact_fields).
import {api} from './api.js';

const MASK = '•••••• (masked)';
const st = {headers: new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']), fields: new Set(), reveal: false, loaded: false};

export async function loadSecrets() {
  if (st.loaded) return;
  try {
    const p = await api('/api/profile');
    st.headers = new Set(p.secret_headers.map(x => x.toLowerCase()));
    st.fields = new Set(p.secret_fields.map(x => x.toLowerCase()));
    st.loaded = true;
  } catch { /* keep the defaults */ }
}

export const revealed = () => st.reveal;
export function setReveal(on) { st.reveal = on; }

export function headerValue(name, value) {
  return !st.reveal && value && st.headers.has(name.toLowerCase()) ? MASK : value;
}

// secretPath reports a field whose member name is a secret's.
export function secretPath(path) {
  const m = /([A-Za-z0-9_-]+)"?\]?$/.exec(path || '');
  return !!m && st.fields.has(m[1].toLowerCase());
}

export function fieldValue(path, value) {
  return !st.reveal && typeof value === 'string' && value && secretPath(path) ? MASK : value;
}

// maskText masks "name": "value" and name=value pairs of secret fields
// in a JSON or form text.
export function maskText(text) {
  if (st.reveal || !st.fields.size) return text;
  let out = text;
  for (const f of st.fields) {
    const esc = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`("${esc}"\\s*:\\s*)"[^"]*"`, 'gi'), `$1"${MASK}"`)
      .replace(new RegExp(`(^|[&?])(${esc}=)[^&\\s]*`, 'gi'), `$1$2${MASK}`);
  }
  return out;
}
