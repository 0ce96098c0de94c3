// Timeline: per endpoint, the uploads over time and the figures they
// reported, with the buyer's own measurements reconciled against them.
import {api} from './api.js';
import {lineChart, sized, uploadStrip} from './chart.js';
import {captureName, h, put, hashFor, num, time} from './util.js';

const rec = {csv: '', tolerance: '0', result: null, error: ''};

export async function mount(main, route) {
  main.replaceChildren(h('p.muted', 'Loading endpoints…'));
  let eps;
  try {
    eps = await api('/api/endpoints');
  } catch (e) {
    main.replaceChildren(h('div.card', h('p.err-text', e.message)));
    return;
  }
  if (!eps.length) {
    main.replaceChildren(h('div.card', h('p.muted', 'No endpoint analysed yet: the timeline fills as exchanges complete.')));
    return;
  }
  // The compliance upload first: it is what licensing is judged on.
  const rank = e => (e.name === 'Compliance upload' ? 0 : e.name ? 1 : 2);
  eps.sort((a, b) => rank(a) - rank(b) || (b.last_time || '').localeCompare(a.last_time || ''));
  const key = route.query.get('endpoint') || eps[0].endpoint;
  const ep = eps.find(e => e.endpoint === key) || {endpoint: key, captures: 0};
  const right = h('div', h('p.muted', 'Loading…'));
  put(main,
    h('div.page-head', h('h1', 'Timeline'), h('span.sub', 'Each endpoint the license server talks to: when it sent, and what it reported.')),
    h('div.tl', endpointList(eps, key), right));
  put(right, await endpointView(ep));
}

function endpointList(eps, key) {
  return h('nav.card.eplist', {'aria-label': 'Endpoints'}, eps.map(e =>
    h('a', {href: hashFor('timeline', [], new URLSearchParams({endpoint: e.endpoint})), class: e.endpoint === key ? 'on' : null},
      e.name ? h('strong', e.name) : null,
      h('div.ep', e.endpoint),
      h('div.meta', `${num(e.captures)} captures · last `, time(e.last_time)))));
}

async function loadItems(key) {
  const items = [];
  let cursor = '';
  for (let i = 0; i < 10; i++) {
    const q = new URLSearchParams({endpoint: key, order: 'asc', limit: '1000'});
    if (cursor) q.set('cursor', cursor);
    const r = await api('/api/captures?' + q, {raw: true});
    items.push(...await r.json());
    cursor = r.headers.get('X-Next-Cursor');
    if (!cursor) break;
  }
  return items;
}

async function endpointView(ep) {
  const host = ep.host || ep.endpoint.split(' ')[1] || '';
  const [items, points] = await Promise.all([
    loadItems(ep.endpoint),
    api('/api/figures?' + new URLSearchParams({host})).catch(() => []),
  ]);
  const mine = points.filter(p => p.endpoint === ep.endpoint);
  const listLink = hashFor('captures', [], new URLSearchParams({endpoint: ep.endpoint}));
  const charts = h('div');
  const draw = () => charts.replaceChildren(figureCharts(mine));
  draw();
  return [
    h('div.card',
      h('h2.mono', ep.endpoint),
      h('p.muted', `${num(items.length)} captures`, ep.first_time ? [' from ', time(ep.first_time), ' to ', time(ep.last_time)] : null,
        ' · ', h('a', {href: listLink}, 'list them')),
      h('h3', 'Uploads over time (bytes sent, log scale; red: failed)'),
      items.length ? sized(w => uploadStrip(items, w)) : h('p.muted', 'None.')),
    h('div.card', h('h3', 'Figures reported'), charts),
    reconcileCard(ep, draw),
  ];
}

function figureCharts(points) {
  const byName = new Map();
  const texts = new Map();
  for (const p of points) {
    const v = typeof p.value === 'number' ? p.value : null;
    if (v === null) {
      texts.set(p.name, p);
      continue;
    }
    if (!byName.has(p.name)) byName.set(p.name, []);
    byName.get(p.name).push({t: Date.parse(p.time), v, id: p.id, unit: p.unit});
  }
  if (!byName.size && !texts.size) {
    return h('p.muted', 'This endpoint reports no figures (or its rule extracts none: see inspect.endpoints in the config).');
  }
  const mism = (rec.result && rec.result.mismatches) || [];
  const meas = (rec.result && rec.result.measurements) || [];
  const cards = [...byName].sort((a, b) => a[0].localeCompare(b[0])).map(([name, pts]) => {
    const mine = mism.filter(m => m.name === name);
    const measured = meas.filter(m => m.name === name).map(m => ({t: Date.parse(m.date + 'T12:00:00Z'), v: m.value}))
      .sort((a, b) => a.t - b.t);
    const mismatches = mine.map(m => ({
      t: Date.parse(m.date + 'T12:00:00Z'),
      v: m.reported ?? m.measured,
      title: `${m.date}: ${m.kind.replaceAll('_', ' ')} — reported ${m.reported ?? '—'}, measured ${m.measured ?? '—'}`,
    }));
    const last = pts[pts.length - 1];
    return h('div.fig', {dataset: {figure: name}},
      h('div.summary', h('strong.mono', name), h('span.muted', `last ${last.v}${last.unit ? ' ' + last.unit : ''}`),
        mine.length ? h('span.tag.bad', `${mine.length} mismatch${mine.length > 1 ? 'es' : ''}`) : null),
      sized(w => lineChart({points: pts, measured, mismatches, unit: last.unit, width: w})));
  });
  return h('div',
    rec.result ? h('div.legend', h('span', h('i'), 'reported'), h('span', h('i.meas'), 'measured'), h('span', h('i.mis'), 'mismatch')) : null,
    h('div.charts', cards),
    texts.size ? [h('h3', 'Text figures (latest)'), h('table.hdrs', [...texts].map(([n, p]) =>
      h('tr', h('td', n), h('td', String(p.value), ' ', h('a', {href: hashFor('capture', [p.id])}, `capture ${captureName(p.id)}`)))))] : null);
}

function reconcileCard(ep, redraw) {
  const ta = h('textarea', {rows: 5, placeholder: 'date,figure,value\n2026-04-01,CAG_AAC_CCU.CountUsedMax,412', 'aria-label': 'Measured figures (CSV)'});
  ta.value = rec.csv;
  const tol = h('input', {type: 'text', value: rec.tolerance, size: 5, 'aria-label': 'Tolerance', title: 'An absolute difference (2) or a percentage (5%)'});
  const out = h('div', result());
  const run = async () => {
    rec.csv = ta.value;
    rec.tolerance = tol.value.trim();
    try {
      rec.result = await api('/api/reconcile', {method: 'POST', json: {csv: rec.csv, tolerance: rec.tolerance, endpoint: ep.endpoint}});
      rec.error = '';
    } catch (e) {
      rec.result = null;
      rec.error = e.message;
    }
    out.replaceChildren(result());
    redraw();
  };
  return h('div.card', h('h3', 'Reconcile with your own measurements'),
    h('p.muted', 'Paste what you measured (CSV: date, figure name, value; the names are those above). ' +
      'Days where the figure sent to the vendor and yours disagree are marked on the charts.'),
    ta,
    h('div.summary', h('label', 'Tolerance ', tol), h('button.btn.primary', {type: 'button', onclick: run}, 'Reconcile'),
      rec.result ? h('button.btn', {type: 'button', onclick: () => { rec.result = null; out.replaceChildren(); redraw(); }}, 'Clear marks') : null),
    out);
}

function result() {
  if (rec.error) return h('p.err-text', rec.error);
  const r = rec.result;
  if (!r) return null;
  return h('div.result',
    h('p', `${r.compared} figure-days compared, ${r.agreed} agree (tolerance ${r.tolerance}); `,
      r.mismatches.length ? h('strong.err-text', `${r.mismatches.length} mismatches`) : h('span.ok-text', 'no mismatch')),
    r.mismatches.length ? h('table.hdrs', r.mismatches.slice(0, 200).map(m => h('tr',
      h('td', `${m.date} ${m.name}`),
      h('td', m.kind.replaceAll('_', ' '), `: reported ${m.reported ?? '—'}, measured ${m.measured ?? '—'}`,
        m.id ? [' ', h('a', {href: hashFor('capture', [m.id])}, `capture ${captureName(m.id)}`)] : null)))) : null);
}
