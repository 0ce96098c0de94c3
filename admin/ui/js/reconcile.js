// Reconcile: which license counts did we report, and do they match ours?
// The reported counts first, by usage day; then the buyer's measurement
// (a file: the Citrix Licensing Manager's Historical Use export, which
// the server recognises from its header, a plain date,figure,value CSV,
// or another layout through a column mapping) against them, day by day,
// with a results table that adds up, a CSV of it, and both series on one
// day axis. A measured license that was never reported matches nothing:
// it is said so, not counted as a disagreement.
import {api} from './api.js';
import {lineChart, sized} from './chart.js';
import {captureName, h, hashFor, num, put} from './util.js';

const st = {csv: '', file: '', map: {date: '', value: '', figure: ''}, tolerance: '0', endpoint: null, result: null, error: '', onlyBad: false};

export async function mount(main) {
  main.replaceChildren(h('p.muted', 'Loading the reported counts…'));
  const [eps, points] = await Promise.all([api('/api/endpoints').catch(() => []), api('/api/figures').catch(() => [])]);
  const withFigures = new Set(points.map(p => p.endpoint));
  const order = e => (e.name === 'Compliance upload' ? 0 : e.name ? 1 : 2);
  const choices = eps.filter(e => withFigures.has(e.endpoint)).sort((a, b) => order(a) - order(b) || a.endpoint.localeCompare(b.endpoint));
  if (st.endpoint === null) st.endpoint = choices.length ? choices[0].endpoint : '';
  const out = h('div');
  const draw = () => put(out, st.result ? results(points) : null, st.error ? h('div.card', h('p.err-text', st.error)) : null,
    reportedCard(points, choices), form(choices, draw));
  put(main,
    h('div.page-head', h('h1', 'Reconcile'), h('span.sub', 'Which license counts did we report, and do they match ours?')),
    out);
  draw();
}

// dayOf is the usage day a point describes (older points: its reported date).
const dayOf = p => p.day || p.time.slice(0, 10);

const nameOf = (choices, ep) => (choices.find(c => c.endpoint === ep) || {}).name || ep;

// reportedCard shows, per feature, the counts the chosen endpoint
// reported on its last days.
function reportedCard(points, choices) {
  const mine = points.filter(p => p.endpoint === st.endpoint && typeof p.value === 'number' && /\.(CountUsedMax|InUse)$/.test(p.name));
  const days = [...new Set(mine.map(p => dayOf(p)))].sort().slice(-7);
  const names = [...new Set(mine.map(p => p.name))].sort();
  const at = new Map(mine.map(p => [dayOf(p) + ' ' + p.name, p]));
  return h('div.card', {id: 'reported-counts'},
    h('h3', `License counts reported in ${nameOf(choices, st.endpoint) || 'no upload yet'}`, days.length ? ` (last ${days.length} days)` : ''),
    names.length ? h('table.figtable',
      h('thead', h('tr', h('th', 'Figure'), days.map(d => h('th.num', d)))),
      h('tbody', names.map(n => h('tr', h('td.mono', n), days.map(d => {
        const p = at.get(d + ' ' + n);
        return h('td.num', p ? h('a', {href: hashFor('capture', [p.id])}, String(p.value)) : '–');
      }))))) : h('p.muted', 'No license counts reported by this endpoint yet.'));
}

function form(choices, redraw) {
  const ta = h('textarea', {rows: 4, id: 'measured-csv', placeholder: 'date,figure,value\n2026-05-04,CAG_AAC_CCU.CountUsedMax,412', 'aria-label': 'Measured figures (CSV)'});
  ta.value = st.csv;
  const file = h('input', {type: 'file', id: 'measured-file', accept: '.csv,text/csv,text/plain', 'aria-label': 'Upload a CSV file',
    onchange: async e => {
      const f = e.target.files[0];
      if (!f) return;
      st.file = f.name;
      st.csv = ta.value = await f.text();
      redraw();
    }});
  const field = (k, label, ph) => h('label', label, ' ', h('input', {type: 'text', value: st.map[k], placeholder: ph, dataset: {map: k},
    oninput: e => { st.map[k] = e.target.value.trim(); }}));
  const ep = h('select', {'aria-label': 'Reported by', onchange: e => { st.endpoint = e.target.value; redraw(); }},
    choices.map(c => h('option', {value: c.endpoint, selected: c.endpoint === st.endpoint}, c.name || c.endpoint)),
    h('option', {value: '', selected: st.endpoint === ''}, 'every endpoint'));
  const tol = h('input', {type: 'text', value: st.tolerance, size: 5, 'aria-label': 'Tolerance', title: 'An absolute difference (2) or a percentage (5%)'});
  const run = async () => {
    st.csv = ta.value;
    st.tolerance = tol.value.trim();
    const mapped = st.map.date || st.map.value || st.map.figure;
    try {
      st.result = await api('/api/reconcile', {method: 'POST', json: {csv: st.csv, tolerance: st.tolerance, endpoint: st.endpoint, map: mapped ? st.map : undefined}});
      st.error = '';
    } catch (e) {
      st.result = null;
      st.error = e.message;
    }
    redraw();
    window.scrollTo(0, 0);
  };
  return h('div.card', {id: 'reconcile-form'},
    h('h3', 'Compare with your own measurement'),
    h('p.muted', 'Upload the Citrix Licensing Manager\'s Historical Use export (daily usage per product, edition and model, with overdraft): ' +
      'it is recognised from its header, its product names are matched to feature codes, and peak and overdraft are compared apart. ' +
      'Or a CSV of date, figure name, value, with names as in the table above (CAG_AAC_CCU.CountUsedMax) or a license\'s name.'),
    h('div.summary', file, st.file ? h('span.muted', st.file) : null),
    ta,
    h('details', {open: !!(st.map.date || st.map.value || st.map.figure)},
      h('summary', 'Column mapping (for an export with other columns)'),
      h('div.summary', field('date', 'Date column', 'Date'), field('value', 'Value column(s)', 'In use+Overdraft'),
        field('figure', 'Figure', '{Product}_{Edition}_{Model}.CountUsedMax'),
        h('button.btn.small', {type: 'button', onclick: () => { st.map = {date: '', value: '', figure: ''}; redraw(); }}, 'No mapping (Historical Use export or plain CSV)'))),
    h('div.summary', h('label', 'Reported by ', ep), h('label', 'Tolerance ', tol),
      h('button.btn.primary', {type: 'button', id: 'reconcile-run', onclick: run}, 'Reconcile')));
}

const STATUS = {agree: 'agree', reported_higher: 'reported higher', measured_higher: 'measured higher',
  reported_not_measured: 'reported, not measured', measured_not_reported: 'measured, not reported', unmatched: 'matched no reported figure'};
const FORMAT = {historical_use: 'the Licensing Manager\'s Historical Use export (recognised from its header; licenses matched by name; peak and overdraft compared apart)',
  plain: 'a CSV of date, figure name, value', mapped: 'a CSV through the column mapping'};

function results(points) {
  const r = st.result;
  const c = r.counts || {};
  const parts = Object.keys(STATUS).map(k => `${num(c[k] || 0)} ${STATUS[k]}`);
  const bad = r.mismatches.length;
  const compared = r.days - (c.unmatched || 0);
  const lic = x => (r.licenses || {})[x.name.split('.')[0]] || '';
  const rows = r.rows.filter(x => !st.onlyBad || (x.status !== 'agree' && x.status !== 'unmatched'));
  return h('section.card', {id: 'reconcile-result'},
    h('h2', bad ? h('span.err-text', `${num(bad)} of ${num(compared)} figure-days disagree`) : h('span.ok-text', `All ${num(compared)} figure-days agree`)),
    h('p', `Read as ${FORMAT[r.format] || r.format}. ${num(r.days)} figure-days (tolerance ${r.tolerance}) = ${parts.join(' + ')}.`),
    (r.unmatched || []).length ? h('p', {id: 'reconcile-unmatched'}, h('strong', 'Not compared: '),
      `the License Server never reported ${r.unmatched.join('; ')}, so these measured rows match no reported figure (not counted as disagreements).`) : null,
    h('div.summary', h('button.btn.small', {type: 'button', id: 'reconcile-csv', onclick: () => download(r)}, 'Download results (CSV)'),
      h('label', h('input', {type: 'checkbox', id: 'reconcile-only-bad', checked: st.onlyBad, onchange: e => { st.onlyBad = e.target.checked; document.getElementById('reconcile-result').replaceWith(results(points)); }}), ' only disagreements'),
      h('button.btn.small', {type: 'button', onclick: () => { st.result = null; mount(document.getElementById('main')); }}, 'Clear')),
    h('div.scrollx', h('table.ids', {id: 'reconcile-rows'},
      h('thead', h('tr', h('th', 'Usage day'), h('th', 'Figure'), h('th', 'License'), h('th.num', 'Reported'), h('th.num', 'Measured'), h('th.num', 'Difference'), h('th', 'Result'), h('th', 'Capture'))),
      h('tbody', rows.slice(0, 500).map(x => h('tr', {class: 'st-' + x.status},
        h('td', x.date), h('td.mono', x.name), h('td', lic(x)), h('td.num', x.reported ?? '–'), h('td.num', x.measured ?? '–'),
        h('td.num', x.reported !== null && x.measured !== null ? (x.difference > 0 ? '+' : '') + x.difference : ''),
        h('td', x.status === 'agree' ? h('span.ok-text', 'agree') : x.status === 'unmatched' ? h('span.muted', STATUS[x.status]) : h('span.err-text', STATUS[x.status])),
        h('td', x.id ? h('a', {href: hashFor('capture', [x.id])}, captureName(x.id)) : '')))))),
    charts(r, points));
}

// charts draws each measured figure: reported and measured on one day axis.
function charts(r, points) {
  const names = [...new Set(r.measurements.map(m => m.name))].sort().slice(0, 6);
  const day = d => Date.parse(d + 'T12:00:00Z');
  return h('div.charts', names.map(n => {
    const rep = points.filter(p => p.name === n && typeof p.value === 'number' && (!st.endpoint || p.endpoint === st.endpoint))
      .map(p => ({t: day(dayOf(p)), v: p.value, id: p.id, unit: p.unit})).sort((a, b) => a.t - b.t);
    const meas = r.measurements.filter(m => m.name === n).map(m => ({t: day(m.date), v: m.value})).sort((a, b) => a.t - b.t);
    const mis = r.mismatches.filter(m => m.name === n).map(m => ({t: day(m.date), v: m.reported ?? m.measured, title: `${m.date}: ${STATUS[m.kind]}`}));
    return h('div.fig', {dataset: {figure: n}}, h('strong.mono', n),
      h('div.legend', h('span', h('i'), 'reported'), h('span', h('i.meas'), 'measured'), h('span', h('i.mis'), 'disagree')),
      sized(w => lineChart({points: rep.length ? rep : meas, measured: meas, mismatches: mis, unit: rep.length ? rep[0].unit : '', width: w})));
  }));
}

function download(r) {
  const esc = v => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const lines = ['date,figure,reported,measured,difference,result,capture'];
  for (const x of r.rows) lines.push([x.date, x.name, x.reported, x.measured, x.reported !== null && x.measured !== null ? x.difference : '', x.status, x.id ? captureName(x.id) : ''].map(esc).join(','));
  const a = h('a', {href: URL.createObjectURL(new Blob([lines.join('\n') + '\n'], {type: 'text/csv'})), download: 'telltale-reconcile.csv'});
  document.body.append(a);
  a.click();
  a.remove();
}
