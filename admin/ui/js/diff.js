// Diff: what changed from one capture to another, by path.
import {api} from './api.js';
import {resolve} from './numbers.js';
import {captureName, h, put, hashFor, time} from './util.js';

const view = {hideVolatile: true, side: 'request', tab: 'changes'};

export async function mount(main, route) {
  let [from, to] = await Promise.all(route.args.map(resolve));
  if (route.args.length === 1) {
    to = from;
    const rel = await api(`/api/captures/${encodeURIComponent(to)}/related`);
    from = rel.prev;
    if (!from) {
      const n = rel.item.number || to;
      main.replaceChildren(h('section.card.lsum', {id: 'diff-summary'}, h('h2', 'Nothing to compare'),
        h('p', `Capture ${n} is the first ${rel.item.name || 'capture of its endpoint'}: there is nothing before it to compare it with.`),
        h('a', {href: hashFor('capture', [to])}, 'Back to the capture')));
      return;
    }
    history.replaceState(null, '', hashFor('diff', [from, to]));
  }
  if (route.query.get('side')) view.side = route.query.get('side');
  main.replaceChildren(h('p.muted', `Comparing capture ${captureName(from)} with ${captureName(to)}…`));
  const q = new URLSearchParams({from, to, side: 'both', headers: '1'});
  const [cmp, ra, rb] = await Promise.all([
    api('/api/licensing?' + q),
    api(`/api/captures/${encodeURIComponent(from)}/related`).catch(() => null),
    api(`/api/captures/${encodeURIComponent(to)}/related`).catch(() => null),
  ]);
  const ctx = {cmp, from, to, ra, rb, decoded: null};
  const body = h('div');
  const draw = () => body.replaceChildren(view.tab === 'changes' ? changes(ctx) : sideBySide(ctx, body, draw));
  ctx.draw = draw;
  put(main,
    h('div.crumbs', h('a', {href: '#/captures'}, 'Captures'), ' / diff'),
    summary(ctx),
    head(ctx),
    controls(ctx, draw),
    cmp.notes && cmp.notes.length ? h('div.card', h('h3', 'Notes'), h('ul.verify-list', cmp.notes.map(n => h('li', n)))) : null,
    h('div.card', body));
  draw();
}

// summary is the diff in licensing terms, first: features added or gone,
// figures changed (with the difference), devices and users that joined
// or left, other fields.
function summary(ctx) {
  const {cmp, ra, rb} = ctx;
  const name = cmp.name || cmp.endpoint;
  const n = r => (r && r.item.number ? r.item.number : null);
  const lines = cmp.summary || [];
  return h('section.card.lsum', {id: 'diff-summary'},
    h('h2', `What changed in ${name}`),
    h('p.muted', `Capture ${n(rb) || ctx.to}`, rb && rb.item.reported_for ? [' (for ', time(rb.item.reported_for), ')'] : '',
      ` against capture ${n(ra) || ctx.from}`, ra && ra.item.reported_for ? [' (for ', time(ra.item.reported_for), ')'] : '', '.'),
    cmp.position ? h('p', {id: 'diff-position', class: 'position-' + (cmp.position.includes('did not move') ? 'same' : 'moved')}, h('strong', cmp.position)) : null,
    // A rise is not good news to a buyer, nor a fall bad: the arrows
    // say the direction only, in the text's colour.
    lines.length ? h('ul.sumlines', lines.map(l => h('li', {class: 'k-' + l.kind + (l.license ? ' license' : ''), dataset: {kind: l.kind}},
      l.delta !== undefined && l.delta !== null ? h('span.delta', {title: l.delta > 0 ? 'rose' : 'fell'}, l.delta > 0 ? '▲' : '▼') : null, ' ', l.text)))
      : h('p', 'Nothing that matters changed: only volatile fields (timestamps, hashes) differ.'),
    h('p.help', `${cmp.counted} counted changes by path below; ${cmp.volatile} volatile ones `, view.hideVolatile ? 'hidden.' : 'shown dimmed.'));
}

function side(label, id, t, rel) {
  return h('div.card', h('h3', label),
    h('div', h('a.mono', {href: hashFor('capture', [id])}, `capture ${rel && rel.item.number ? 'no. ' + rel.item.number : captureName(id)}`), '  ', time(t)),
    rel ? h('div.mono.muted', rel.item.endpoint) : null);
}

function head(ctx) {
  const {cmp, ra, rb} = ctx;
  const older = ra && ra.prev ? h('a.btn.small', {href: hashFor('diff', [ra.prev, ctx.from])}, '← Older pair') : null;
  const newer = rb && rb.next ? h('a.btn.small', {href: hashFor('diff', [ctx.to, rb.next])}, 'Newer pair →') : null;
  return h('div',
    h('div.diff-head', side('Before', ctx.from, cmp.from_time, ra), h('div.arrow', '→'), side('After', ctx.to, cmp.to_time, rb)),
    cmp.endpoint !== cmp.from_endpoint ? h('p.err-text', `Different endpoints: ${cmp.from_endpoint} → ${cmp.endpoint}`) : null,
    h('div.summary', older, newer));
}

function controls(ctx, draw) {
  const counts = {added: 0, removed: 0, changed: 0};
  for (const c of ctx.cmp.changes) if (!c.volatile) counts[c.op]++;
  const tab = name => h('button', {type: 'button', class: view.tab === name ? 'on' : null,
    onclick: e => { view.tab = name; for (const b of e.target.parentNode.querySelectorAll('button')) b.classList.toggle('on', b === e.target); draw(); }},
  name === 'changes' ? 'Changes' : 'Side by side');
  const sideSel = h('select', {'aria-label': 'Side', onchange: e => { view.side = e.target.value; draw(); }},
    ['request', 'response', 'both'].map(s => h('option', {value: s, selected: view.side === s}, s === 'both' ? 'request and response' : s)));
  return h('div',
    h('div.summary',
      h('span.tag.chg', `${ctx.cmp.counted} changes`),
      h('span.tag', {title: 'Paths expected to change every time (timestamps, hashes), dimmed'}, `${ctx.cmp.volatile} volatile`),
      h('span.muted', `${counts.added} added · ${counts.removed} removed · ${counts.changed} changed`),
      h('label.chip', h('input', {type: 'checkbox', checked: view.hideVolatile, onchange: e => { view.hideVolatile = e.target.checked; draw(); }}), 'Hide volatile'),
      sideSel),
    h('div.tabs', tab('changes'), tab('sbs')));
}

function shown(c) {
  return (view.side === 'both' || c.side === view.side) && !(view.hideVolatile && c.volatile);
}

// VOLATILE_SHOWN is how many volatile changes are listed before "show all".
const VOLATILE_SHOWN = 50;

function changes(ctx) {
  const list = ctx.cmp.changes.filter(shown);
  if (!list.length) {
    return h('p.muted', ctx.cmp.changes.length ? 'Only volatile changes on this side.' : 'No changes: the two are the same, field for field.');
  }
  // What matters first; the volatile ones after, dimmed.
  const firm = list.filter(c => !c.volatile);
  const vol = list.filter(c => c.volatile);
  const rows = [];
  for (const c of firm) changeRows(c, rows);
  for (const c of ctx.allVolatile ? vol : vol.slice(0, VOLATILE_SHOWN)) changeRows(c, rows);
  const more = !ctx.allVolatile && vol.length > VOLATILE_SHOWN;
  return h('div',
    firm.length ? null : h('p.muted', 'No change outside the volatile fields.'),
    h('table.changes', h('thead', h('tr', h('th', 'Path'), h('th', 'Change'), h('th', 'Before'), h('th', 'After'))), h('tbody', rows)),
    more ? h('p', h('button.btn.small', {type: 'button', onclick: () => {
      ctx.allVolatile = true;
      ctx.draw();
    }}, `Show all ${vol.length} volatile changes`)) : null);
}

function changeRows(c, rows) {
  rows.push(h('tr', {class: `op-${c.op}${c.volatile ? ' volatile' : ''}`, dataset: {path: c.path, op: c.op}},
    h('td.path', c.side === 'response' ? [h('span.tag', 'response'), ' '] : null, c.path,
      c.personal ? [' ', h('span.tag.warn', {title: 'personal data'}, c.personal)] : null,
      c.volatile ? [' ', h('span.tag', 'volatile')] : null,
      c.type_changed ? [' ', h('span.tag.drift', 'type changed')] : null),
    h('td.op', c.op),
    h('td.before', c.op === 'added' ? '' : show(c.from)),
    h('td.after', c.op === 'removed' ? '' : show(c.to))));
  if (c.unified) rows.push(h('tr', h('td', {colspan: 4}, unified(c.unified))));
}

function show(v) {
  if (v === null || v === undefined) return h('span.faint', 'null');
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, null, typeof v === 'object' ? 1 : 0);
  if (s.length <= 600) return s;
  return h('details', h('summary', s.slice(0, 200) + '…'), s);
}

function unified(text) {
  return h('pre.unified', text.split('\n').map(line => {
    const cls = line.startsWith('+') && !line.startsWith('+++') ? 'a' : line.startsWith('-') && !line.startsWith('---') ? 'd' : line.startsWith('@@') ? 'h' : '';
    return cls ? h('span.' + cls, line) : [line, '\n'];
  }));
}

// sideBySide lines up the fields of both captures by path.
function sideBySide(ctx, body, draw) {
  if (!ctx.decoded) {
    Promise.all([ctx.from, ctx.to].map(id => api(`/api/captures/${encodeURIComponent(id)}/decoded`)))
      .then(d => { ctx.decoded = d; draw(); }, e => body.replaceChildren(h('p.err-text', e.message)));
    return h('p.muted', 'Decoding both captures…');
  }
  const sides = view.side === 'both' ? ['request', 'response'] : [view.side];
  const out = h('div.sbs', h('div.hd', `capture ${captureName(ctx.from)}`), h('div.hd', `capture ${captureName(ctx.to)}`));
  // A removed path is in the old document, an added one in the new; a
  // changed one in both.
  const olds = new Map();
  const news = new Map();
  for (const c of ctx.cmp.changes) {
    if (c.op !== 'added') olds.set(c.side + ' ' + c.path, c);
    if (c.op !== 'removed') news.set(c.side + ' ' + c.path, c);
  }
  for (const s of sides) {
    const a = (ctx.decoded[0][s] || {}).fields || [];
    const b = (ctx.decoded[1][s] || {}).fields || [];
    for (const [pa, pb] of align(a, b)) {
      const ca = pa && changeFor(olds, s, pa.path);
      const cb = pb && changeFor(news, s, pb.path);
      if (view.hideVolatile && ((ca && ca.volatile) || (cb && cb.volatile))) continue;
      out.append(cell(pa, ca, s), cell(pb, cb, s));
    }
  }
  return out;
}

function changeFor(ops, side, path) {
  let p = path;
  for (;;) {
    const c = ops.get(side + ' ' + p);
    if (c) return c;
    const i = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['), p.lastIndexOf('/'), p.lastIndexOf(':'));
    if (i <= 0) return null;
    p = p.slice(0, i);
  }
}

function cell(f, c, side) {
  const cls = c ? `c-${c.op}${c.volatile ? ' c-vol' : ''}` : null;
  if (!f) return h('div', {class: cls});
  const v = f.type === 'object' ? '{…}' : f.type === 'array' ? '[…]' : JSON.stringify(f.value);
  return h('div', {class: cls, title: `${side} ${f.path}`, dataset: {path: f.path}}, h('span.p', f.path), ' ', v);
}

// align merges two field lists in document order: the new side's order,
// with fields only in the old one after their predecessor there.
function align(a, b) {
  const inB = new Set(b.map(f => f.path));
  const byA = new Map(a.map(f => [f.path, f]));
  const after = new Map();
  let prev = '';
  for (const f of a) {
    if (!inB.has(f.path)) {
      if (!after.has(prev)) after.set(prev, []);
      after.get(prev).push(f);
    } else {
      prev = f.path;
    }
  }
  const out = [];
  for (const f of after.get('') || []) out.push([f, null, f.path]);
  for (const f of b) {
    out.push([byA.get(f.path) || null, f, f.path]);
    for (const g of after.get(f.path) || []) out.push([g, null, g.path]);
  }
  return out;
}
