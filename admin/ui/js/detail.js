// Capture detail: what was reported first (figures, features, personal
// data, the parts of the payload), then the payload, the response, the
// heads, TLS and timings, and the evidence, in tabs.
import {api} from './api.js';
import {resolve} from './numbers.js';
import {renderBody} from './body.js';
import {reportedCard} from './reported.js';
import {headerValue, loadSecrets, revealed, setReveal} from './secrets.js';
import {bytes, h, put, hashFor, ms, statusBadge, time} from './util.js';
import {sentBy} from './listpane.js';

let tab = 'payload';
let shown = ''; // the capture the tab belongs to: another opens on its payload

export async function mount(main, route) {
  const id = await resolve(route.args[0]);
  if (id !== shown) tab = 'payload';
  shown = id;
  main.replaceChildren(h('p.muted', `Loading capture ${route.args[0]}…`));
  const [c, rel, inc, dec] = await Promise.all([
    api(`/api/captures/${encodeURIComponent(id)}`),
    api(`/api/captures/${encodeURIComponent(id)}/related`).catch(() => null),
    api(`/api/captures/${encodeURIComponent(id)}/inclusion`).catch(e => ({error: e.message})),
    api(`/api/captures/${encodeURIComponent(id)}/decoded`).catch(e => ({error: e.message})),
    loadSecrets(),
  ]);
  const item = rel ? rel.item : c;
  const panels = {
    payload: () => message(c, 'request', c.request, dec.request, dec.error),
    response: () => (c.kind === 'exchange' ? message(c, 'response', c.response, dec.response, dec.error) : h('p.muted', 'No response: ' + c.kind)),
    heads: () => [heads(c, 'request', c.request), heads(c, 'response', c.response)],
    transport: () => h('div.grid2', overview(c, item), h('div', timings(c), tls(c))),
    evidence: () => leaves(inc),
  };
  const labels = {payload: 'Payload sent', response: 'Response', heads: 'Heads', transport: 'TLS & timings', evidence: 'Evidence'};
  const box = h('div.tabbox');
  const bar = h('div.tabs.page-tabs', {role: 'tablist'});
  const show = name => {
    tab = name;
    for (const b of bar.querySelectorAll('button')) b.classList.toggle('on', b.dataset.tab === name);
    put(box, panels[name]());
  };
  for (const name of Object.keys(panels)) {
    bar.append(h('button', {type: 'button', role: 'tab', dataset: {tab: name}, onclick: () => show(name)}, labels[name]));
  }
  bar.append(h('span.spring'), h('label.chip', {title: 'Authorization, cookies, client secrets and tokens show masked until revealed'},
    h('input', {type: 'checkbox', id: 'reveal', checked: revealed(), onchange: e => { setReveal(e.target.checked); show(tab); }}), 'Reveal secrets'));
  put(main,
    h('div.crumbs', h('a', {href: '#/captures'}, 'Captures'), ' / ', `capture ${item.number || c.id}`),
    head(c, rel, item),
    reportedCard(c, item, dec),
    bar, box);
  show(panels[tab] ? tab : 'payload');
  document.title = `Telltale — ${item.name || c.host} #${item.number || c.id}`;
}

function head(c, rel, item) {
  const prev = rel && rel.prev;
  const next = rel && rel.next;
  return h('div.cap-head',
    h('span.m.' + (c.method || 'x'), c.method || c.kind),
    statusBadge(c),
    item.name ? h('strong.epname', item.name) : null,
    h('span.url', c.url || c.host),
    h('div.actions',
      h('a.btn.small', {href: prev ? hashFor('capture', [prev]) : null, 'aria-disabled': prev ? null : 'true', title: 'Previous capture of this endpoint'}, '← Previous'),
      h('a.btn.small', {href: next ? hashFor('capture', [next]) : null, 'aria-disabled': next ? null : 'true', title: 'Next capture of this endpoint'}, 'Next →'),
      prev ? h('a.btn.small.primary', {href: hashFor('diff', [prev, c.id]), id: 'diff-prev'}, 'Diff with previous') : null));
}

function overview(c, item) {
  const row = (k, v) => [h('dt', k), h('dd', v)];
  const endpoint = item.endpoint;
  return h('div.card', h('h3', 'Capture'), h('dl.kv',
    item.number ? row('Number', String(item.number)) : null,
    row('Evidence id', h('span.mono.muted', {title: 'The id the evidence bundle and telltale show --id use'}, c.id)),
    row('Time', time(c.time, true)),
    row('Kind', c.kind),
    row('Client', h('span.mono', c.client)),
    c.process ? row('Sent by', h('span', {id: 'sent-by', title: c.process.image || ''}, sentBy(c.process), ' ',
      c.process.name ? h('a.small', {href: hashFor('captures', [], new URLSearchParams({sent_by: c.process.name}))}, 'all from this program') : null)) : null,
    row('Host', c.host),
    endpoint ? row('Endpoint', h('a.mono', {href: hashFor('timeline', [], new URLSearchParams({endpoint}))}, endpoint)) : null,
    row('Sent', bytes(c.request_bytes)),
    row('Received', bytes(c.response_bytes)),
    c.duration ? row('Duration', c.duration) : null,
    row('Complete', c.complete ? 'yes' : 'no: no response recorded (in flight, or cut off)'),
    c.error ? row('Error', h('span.err-text', c.error)) : null,
    item.body_changed !== undefined ? row('Since previous', item.prev ? (item.body_changed ? 'the request body differs (see the diff)' : 'the same request body, byte for byte') : 'the first capture of this endpoint') : null,
    item.drift ? row('Drift', h('span.tag.drift', `${item.drift} event${item.drift > 1 ? 's' : ''}`)) : null));
}

function timings(c) {
  const t = c.timings;
  if (!t) return null;
  const total = ms(t.start, t.end);
  const step = (label, end) => {
    const v = ms(t.start, end);
    if (v === null) return null;
    const bar = h('span');
    bar.style.width = total ? Math.max(0.5, (100 * v) / total) + '%' : '0';
    return [h('span.muted', label), h('div.bar', bar), h('span.ms', v + ' ms')];
  };
  return h('div.card', h('h3', 'Timings'), h('div.wf',
    step('committed', t.committed),
    step('first byte', t.first_byte),
    step('finished', t.end)),
  h('p.help', 'From the request head read from the client, ', time(t.start, true), '. "Committed" is when the request was durable, before it went upstream.'));
}

function tls(c) {
  const t = c.tls;
  if (!t) return null;
  const row = (k, v) => (v ? [h('dt', k), h('dd', v)] : null);
  return h('div.card', h('h3', 'Upstream TLS'), h('dl.kv',
    row('Server name', t.server_name),
    row('Version', t.version),
    row('Cipher suite', h('span.mono', t.cipher_suite)),
    row('ALPN', t.alpn),
    row('Leaf SHA-256', h('span.hash', t.leaf_sha256))));
}

function leaves(inc) {
  if (!inc || inc.error) return h('div.card', h('h3', 'Evidence'), h('p.muted', inc ? inc.error : 'unavailable'));
  const ck = inc.checkpoint;
  const tag = s => h('span.tag.' + ({included: 'ok', pending: 'warn', unsigned: 'warn'}[s] || 'bad'), s);
  return h('div.card', h('h3', 'Evidence log'),
    h('table.hdrs', inc.leaves.map(l => h('tr',
      h('td', `leaf ${l.index} (${l.kind || 'record'} ${l.seq})`),
      h('td', tag(l.status), ' ', h('span.muted', l.detail), l.leaf_hash ? h('div.hash.faint', {title: 'leaf hash'}, l.leaf_hash) : null)))),
    ck ? h('p.help', `Latest checkpoint: tree size ${ck.tree_size}`, ck.time ? [', signed ', time(ck.time)] : null, ck.signature === 'ok' ? ', signature verified.' : `; signature: ${ck.signature}.`) : null);
}

function message(c, side, m, dec, decErr) {
  const title = side === 'request' ? 'Request body' : 'Response body';
  if (!m) return h('div.card', h('h3', title), h('p.muted', side === 'response' ? 'No response recorded.' : 'No request head recorded.'));
  return h('div.card', {id: 'msg-' + side}, h('h3', title), renderBody(c, side, m, dec, decErr));
}

function heads(c, side, m) {
  const title = side === 'request' ? 'Request' : 'Response';
  if (!m) return h('div.card', h('h3', title), h('p.muted', side === 'response' ? 'No response recorded.' : 'No request head recorded.'));
  const first = side === 'request' ? `${m.method} ${m.url} ${m.proto}` : `${m.proto} ${m.status}`;
  const rows = list => h('table.hdrs', list.map(x => h('tr', h('td', x.name), h('td', headerValue(x.name, x.value)))));
  return h('div.card', {id: 'heads-' + side},
    h('h3', title),
    h('div.mono', first),
    rows(m.headers),
    m.trailers && m.trailers.length ? [h('h3', 'Trailers'), rows(m.trailers)] : null);
}
