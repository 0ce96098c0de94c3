// The captures list's detail pane, and the helpers its rows share.
import {api} from './api.js';
import {bytes, debounce, h, hashFor, localTime, put, statusBadge, time} from './util.js';

// highlight marks every occurrence of q (any case) in text.
export function highlight(text, q) {
  if (!q) return text;
  const out = [];
  const low = text.toLowerCase();
  const ql = q.toLowerCase();
  let at = 0;
  for (let i = low.indexOf(ql); i >= 0; i = low.indexOf(ql, at)) {
    out.push(text.slice(at, i), h('mark', text.slice(i, i + q.length)));
    at = i + q.length;
  }
  out.push(text.slice(at));
  return out;
}

// shortType is a content type without its parameters.
export function shortType(ct) {
  if (!ct) return '–';
  return ct.split(';')[0].replace(/^application\//, '');
}

const loadFigures = debounce(async (el, it) => {
  if (el.dataset.id !== it.id) return;
  let dec;
  try {
    dec = await api(`/api/captures/${encodeURIComponent(it.id)}/decoded`);
  } catch (e) {
    if (el.dataset.id === it.id) put(el.querySelector('.pane-figs'), h('p.muted', e.status === 422 ? 'Nothing decoded: ' + e.message : e.message));
    return;
  }
  if (el.dataset.id !== it.id) return;
  const req = dec.request || {};
  const figs = (req.figures || []).filter(f => typeof f.value === 'number').slice(0, 12);
  const pii = req.personal || [];
  put(el.querySelector('.pane-figs'),
    figs.length ? [h('h4', 'Reported'), h('table.hdrs.figs', figs.map(f => h('tr', h('td', f.name), h('td.num', String(f.value), f.unit ? ' ' + f.unit : ''))))]
      : h('p.muted', 'No figures reported.'),
    pii.length ? h('p', h('span.tag.warn', `${pii.length} personal-data field${pii.length > 1 ? 's' : ''}`)) : null);
}, 120);

// sentBy names the program on the proxy's host that sent a capture, as
// telltale show does: "curl (pid 4242, user alice)"; null for a client on
// another host.
export function sentBy(p) {
  if (!p) return null;
  const parts = [];
  if (p.pid) parts.push('pid ' + p.pid);
  if (p.services && p.services.length) parts.push('service ' + p.services.join(', '));
  if (p.user) parts.push('user ' + p.user);
  if (p.unknown) parts.push(p.unknown);
  const name = p.name || 'unknown';
  return parts.length ? `${name} (${parts.join(', ')})` : name;
}

// pane shows one capture of the list: what it is, what it reported, and
// the ways on.
export function pane(el, it) {
  el.dataset.id = it.id;
  const row = (k, v) => (v ? [h('dt', k), h('dd', v)] : null);
  put(el,
    h('h3', `Capture ${it.number || it.id}`, it.name ? ' · ' + it.name : ''),
    h('dl.kv',
      row('Endpoint', h('span.mono', it.endpoint)),
      row('Usage day', it.reported_for ? `usage of ${it.reported_for}, sent ${localTime(it.time).slice(0, 10)}` : null),
      row('Captured', time(it.time, true)),
      row('Sent by', sentBy(it.process)),
      row('Status', statusBadge(it)),
      row('Sent', `${bytes(it.request_bytes)}${it.content_type ? ' · ' + it.content_type : ''}`),
      row('Received', bytes(it.response_bytes)),
      row('Took', it.duration_ms !== undefined ? Math.round(it.duration_ms) + ' ms' : null),
      row('Id', h('span.mono.muted', `${it.id} (the evidence's; leaves ${(it.leaves || []).join(', ')})`)),
      it.snippet ? row('Match', h('span.snip', it.snippet)) : null),
    h('div.summary',
      h('a.btn.small.primary', {href: hashFor('capture', [it.id])}, 'Open'),
      it.prev ? h('a.btn.small', {href: hashFor('diff', [it.prev, it.id])}, 'What changed') : null),
    h('div.pane-figs', it.kind === 'exchange' && it.complete ? h('p.muted', 'Loading…') : null));
  if (it.kind === 'exchange' && it.complete) loadFigures(el, it);
}

// nearHit starts a snippet shortly before the search's hit, so that the
// hit shows in a narrow column.
export function nearHit(snippet, q) {
  const i = snippet.toLowerCase().indexOf((q || '').toLowerCase());
  return i > 16 ? '…' + snippet.slice(i - 12) : snippet;
}
