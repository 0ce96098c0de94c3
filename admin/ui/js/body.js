// A body: decoded tree and fields, its text, its bytes.
import {api} from './api.js';
import {fieldValue, maskText, secretPath} from './secrets.js';
import {bytes, h, hexdump} from './util.js';

const TEXT_MAX = 2 << 20;
// FOLD_AT is the array length above which the fields start folded.
const FOLD_AT = 20;

export function renderBody(c, side, m, dec, decErr) {
  const url = `/api/captures/${encodeURIComponent(c.id)}/body/${side}`;
  const info = h('span.muted', bytes(m.body_size),
    m.truncated ? ' (stored truncated)' : '', m.pruned ? ' (pruned by retention)' : '');
  if (!m.body_size) return h('p.muted', 'No body.');
  const pane = h('div.pane');
  const tabs = {};
  const show = name => {
    for (const [k, b] of Object.entries(tabs)) b.classList.toggle('on', k === name);
    pane.replaceChildren(h('p.muted', 'Loading…'));
    ({decoded: () => decodedView(dec, decErr), text: () => textView(url, m), hex: () => hexView(url)})[name]()
      .then(el => pane.replaceChildren(el), e => pane.replaceChildren(h('p.err-text', e.message)));
  };
  for (const name of ['decoded', 'text', 'hex']) {
    tabs[name] = h('button', {type: 'button', onclick: () => show(name), dataset: {tab: name}}, name[0].toUpperCase() + name.slice(1));
  }
  const bar = h('div.tabs', Object.values(tabs), h('span.spring'), info,
    m.pruned ? null : h('a', {href: url, download: `capture-${c.id}-${side}.bin`}, 'Download raw'));
  show(dec && dec.tree ? 'decoded' : 'text');
  return h('div.body', {dataset: {side}}, bar, pane);
}

async function decodedView(dec, err) {
  if (!dec) return h('p.muted', err ? 'Not decoded: ' + err : 'Not decoded.');
  const out = h('div');
  if (dec.note) out.append(h('p.muted', dec.note));
  if (dec.tree) out.append(h('div.parts', part(dec.tree)));
  if (dec.figures && dec.figures.length) {
    out.append(h('h3', 'Figures reported'), h('table.hdrs', dec.figures.map(f =>
      h('tr', h('td', f.name), h('td', String(f.value), f.unit ? ' ' + f.unit : '', h('span.faint', '  ', f.path))))));
  }
  if (dec.personal && dec.personal.length) {
    out.append(h('h3', 'Personal data'), h('table.hdrs', dec.personal.map(p =>
      h('tr', h('td', p.path), h('td', p.category, p.why ? h('span.faint', ' — ' + p.why) : null)))));
  }
  if (dec.fields && dec.fields.length) out.append(h('h3', 'Fields'), fieldsTable(dec.fields, dec.personal || []));
  return out;
}

function part(p) {
  const label = [h('span.ptype', p.type), p.filename ? h('strong.mono', ' ' + p.filename) : '', p.name && p.name !== p.filename ? ' ' + p.name : '',
    h('span.faint', ' ', bytes(p.size))];
  return h('div.part',
    h('div', label, p.error ? h('span.err-text', ' — ' + p.error) : null, p.note ? h('span.muted', ' — ' + p.note) : null),
    p.hex ? h('pre.body.hex', p.hex) : null,
    (p.children || []).map(part));
}

// depth and label of a field path: every ".", "[", "/" and ":" is a step.
function steps(path) {
  const parts = path.split(/(?=[.[/:])/);
  return {depth: Math.max(0, parts.length - 1), label: parts[parts.length - 1]};
}

function fieldsTable(fields, personal) {
  const pii = new Set(personal.map(p => p.path));
  const rows = fields.map(f => {
    const {depth, label} = steps(f.path);
    const group = f.type === 'object' || f.type === 'array';
    const k = h('td.k', {title: f.path}, label);
    k.style.paddingLeft = depth * 14 + 'px';
    const cls = [group ? 'group' : '', f.volatile ? 'vol' : '', pii.has(f.path) ? 'pii' : '', secretPath(f.path) ? 'secret' : ''].filter(Boolean).join(' ');
    return h('tr', {class: cls || null, dataset: {path: f.path}}, k, h('td.ty', f.type), h('td.v', value(f)));
  });
  const table = h('table.fields', h('tbody', rows));
  const below = (tr, r) => {
    const p = tr.dataset.path;
    return r !== tr && r.dataset.path.startsWith(p) && /^[.[/:]/.test(r.dataset.path.slice(p.length));
  };
  const toggle = tr => {
    const closed = tr.classList.toggle('closed');
    const folded = rows.filter(g => g !== tr && g.classList.contains('closed'));
    for (const r of rows) {
      if (below(tr, r)) r.hidden = closed || folded.some(g => below(g, r));
    }
  };
  table.addEventListener('click', e => {
    const tr = e.target.closest('tr.group');
    if (tr && e.target.closest('td.k')) toggle(tr);
  });
  // Long arrays (a device list) start folded, with their length shown.
  fields.forEach((f, i) => {
    if (f.type !== 'array') return;
    const n = fields.filter(g => g.path.startsWith(f.path + '[') && /^\[\d+\]$/.test(g.path.slice(f.path.length))).length;
    rows[i].querySelector('td.v').textContent = `[${n}]`;
    if (n > FOLD_AT) {
      rows[i].classList.add('closed');
      for (const r of rows) if (below(rows[i], r)) r.hidden = true;
    }
  });
  return table;
}

function value(f) {
  switch (f.type) {
  case 'object': return h('span.faint', '{…}');
  case 'array': return h('span.faint', '[…]');
  case 'string': return h('span.str', JSON.stringify(fieldValue(f.path, f.value)));
  case 'number': return h('span.num', String(f.value));
  case 'bool': case 'null': return h('span.lit', String(f.value));
  case 'text': return h('pre.body', String(f.value));
  default: return String(f.value);
  }
}

async function fetchBody(url) {
  const r = await api(url, {raw: true});
  return r.arrayBuffer();
}

// textView shows the body as text, after undoing a gzip or deflate
// content coding, pretty-printing JSON.
async function textView(url, m) {
  let buf = await fetchBody(url);
  const enc = (header(m, 'content-encoding') || '').toLowerCase().trim();
  let note = '';
  if ((enc === 'gzip' || enc === 'deflate') && 'DecompressionStream' in window) {
    try {
      const s = new Blob([buf]).stream().pipeThrough(new DecompressionStream(enc));
      buf = await new Response(s).arrayBuffer();
      note = `Content-Encoding ${enc} undone: ${bytes(buf.byteLength)}.`;
    } catch (e) {
      note = `Content-Encoding ${enc} could not be undone (${e.message}); the bytes as stored:`;
    }
  }
  let text = new TextDecoder('utf-8', {fatal: false}).decode(buf.slice(0, TEXT_MAX));
  if (/json/i.test(header(m, 'content-type') || '') || /^\s*[{[]/.test(text)) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON after all */ }
  }
  if (buf.byteLength > TEXT_MAX) note += ` Showing the first ${bytes(TEXT_MAX)}.`;
  const masked = maskText(text);
  if (masked !== text) note += ' Secrets are masked: tick "Reveal secrets" to see them, or download the raw bytes.';
  return h('div', note ? h('p.muted', note) : null, h('pre.body', masked));
}

async function hexView(url) {
  const buf = await fetchBody(url);
  return h('div', h('p.muted', 'The bytes as they crossed the wire.'), h('pre.body.hex', hexdump(buf)));
}

function header(m, name) {
  const f = (m.headers || []).find(x => x.name.toLowerCase() === name);
  return f && f.value;
}
