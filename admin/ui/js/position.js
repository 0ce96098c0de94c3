// Position: are we over or under what we own, by how much, since when,
// and will the vendor see the same? License by license, from the very
// figures the License Server sent, by usage day; every number links to
// the captures it comes from; what is not known says why.
import {api} from './api.js';
import {lineChart, sized} from './chart.js';
import {h, hashFor, num, put} from './util.js';

const st = {days: 30, since: '', until: ''};
const STATUS = {over: ['bad', 'over installed'], near: ['warn', 'near installed'], dormant: ['warn', 'mostly dormant'], ok: ['ok', 'within installed'], unknown: ['', 'unknown']};

export async function mount(main, r) {
  if (r && r.query) {
    if (r.query.get('days')) st.days = +r.query.get('days');
    st.since = r.query.get('since') || st.since;
    st.until = r.query.get('until') || st.until;
  }
  main.replaceChildren(h('p.muted', 'Working out the position…'));
  const q = new URLSearchParams();
  if (st.since) q.set('since', st.since); else q.set('days', String(st.days));
  if (st.until) q.set('until', st.until);
  const at = location.hash;
  const [pos, ents] = await Promise.all([api('/api/position?' + q.toString()), api('/api/entitlements')]);
  if (location.hash !== at) return; // the reader went to another page meanwhile
  put(main,
    h('div.page-head', h('h1', 'License position'),
      h('span.sub', `Usage days ${pos.from} to ${pos.to}: what you own against what the License Server reported using — before the vendor computes it.`)),
    answers(pos),
    table(pos),
    period(main),
    h('div.charts', pos.licenses.filter(l => l.series.length).map(chart)),
    entitlements(main, pos, ents),
    h('div.card', h('p', 'Does your own count agree with what was sent? ',
      h('a', {href: hashFor('reconcile')}, 'Reconcile with the Licensing Manager\'s Historical Use export'), '.')));
}

// capLink links a number to the captures it comes from, named by their
// numbers (as the list shows them).
function capLink(text, ids, nums) {
  if (!ids || !ids.length) return text;
  const names = nums && nums.length === ids.length ? nums.map(n => 'no. ' + n) : ids;
  return h('a', {href: hashFor('capture', [ids[0]]), title: `from capture${ids.length > 1 ? 's' : ''} ${names.join(', ')}`}, text);
}

// answers is the first screen: which license is over, since when, by how
// much; which entitlement is dormant; what is missing.
function answers(pos) {
  const over = pos.licenses.filter(l => l.status === 'over');
  const dormant = pos.licenses.filter(l => l.dormant_percent >= 50);
  return h('section.card', {id: 'position-answers'},
    h('h2', over.length ? h('span.err-text', `${over.length} license${over.length > 1 ? 's' : ''} over installed`) :
      pos.licenses.length ? h('span.ok-text', 'No license over installed') : 'No position yet'),
    h('ul', {id: 'position-headlines'},
      over.map(l => h('li', {dataset: {code: l.code}}, capLink(pos.headlines[l.code], l.overuse.ids, l.overuse.numbers))),
      dormant.map(l => h('li', {dataset: {code: l.code}}, capLink(pos.headlines[l.code], l.peak && l.peak.ids, l.peak && l.peak.numbers)))),
    pos.missing.length ? h('div', {id: 'position-missing'}, h('strong', 'Not known: '), pos.missing.join('; ') + '.') : null);
}

function table(pos) {
  if (!pos.licenses.length) return null;
  const cell = (v, dv, sub) => h('td.num', v === undefined || v === null ? h('span.muted', 'unknown') : capLink(num(v), dv && dv.ids, dv && dv.numbers), sub ? h('div.muted.small', sub) : null);
  return h('div.card', h('div.scrollx', h('table.ids', {id: 'position-table'},
    h('thead', h('tr', h('th', 'License'), h('th.num', 'Installed'), h('th.num', 'Overdraft allowance'), h('th.num', 'Reported peak'),
      h('th.num', 'Latest day'), h('th.num', {title: 'Distinct users and devices the usage upload\'s files list, on the day of most users'}, 'Users / devices counted'), h('th.num', 'Measured peak'), h('th.num', 'Days over'), h('th.num', 'Dormant'), h('th', 'Status'))),
    h('tbody', pos.licenses.map(l => h('tr', {dataset: {code: l.code}, class: 'pos-' + l.status},
      h('td', h('div.mono', l.code), h('div.small', `${l.product_name} ${l.edition_name || ''}, ${l.model_name || ''}`)),
      cell(l.installed && l.installed.value, l.installed, l.installed_from + ((l.installed_changes || []).length > 1 ? ` · changed ${l.installed_changes.slice(1).map(c => c.day).join(', ')}` : '')),
      cell(l.overdraft, null),
      cell(l.peak && l.peak.value, l.peak, l.peak && 'on ' + l.peak.day),
      cell(l.today && l.today.value, l.today, l.today && l.today.day),
      l.counted ? h('td.num', capLink(`${num(l.counted.users)} / ${num(l.counted.devices)}`, l.counted.ids, l.counted.numbers), h('div.muted.small', 'on ' + l.counted.day)) :
        h('td.num', h('span.muted', 'not in a usage upload')),
      cell(l.measured && l.measured.value, null, l.measured ? 'on ' + l.measured.day : 'no measurement'),
      h('td.num', l.overuse.days ? [capLink(String(l.overuse.days), l.overuse.ids, l.overuse.numbers),
        h('div.small', `${l.overuse.first} → ${l.overuse.last}, up to +${num(l.overuse.highest)} (${l.overuse.highest_day})`)] : (l.peak && l.installed ? '0' : h('span.muted', 'unknown'))),
      h('td.num', l.dormant !== undefined ? `${num(l.dormant)} (${l.dormant_percent}%)` : h('span.muted', 'unknown')),
      h('td', h('span.tag.' + (STATUS[l.status][0] || 'x'), STATUS[l.status][1]))))))));
}

function period(main) {
  const go = () => mount(main, null);
  const since = h('input', {type: 'date', value: st.since, 'aria-label': 'First usage day'});
  const until = h('input', {type: 'date', value: st.until, 'aria-label': 'Last usage day'});
  return h('div.card', {id: 'position-period'}, h('div.summary',
    'Period: ', [30, 90, 365].map(d => h('button.btn.small' + (!st.since && st.days === d ? '.primary' : ''), {type: 'button', onclick: () => { st.days = d; st.since = st.until = ''; go(); }}, `${d} days`)),
    h('label', ' or from ', since), h('label', ' to ', until),
    h('button.btn.small', {type: 'button', onclick: () => { st.since = since.value; st.until = until.value; go(); }}, 'Apply')));
}

// chart draws a license's daily reported peak with its installed line,
// and says the projection in words, labelled as one.
function chart(l) {
  const t = d => Date.parse(d + 'T12:00:00Z');
  const peaks = l.series.map(s => ({t: t(s.day), v: s.peak, id: s.id, label: 'peak '}));
  const inst = l.series.filter(s => s.installed !== undefined).map(s => ({t: t(s.day), v: s.installed}));
  return h('div.fig', {dataset: {code: l.code}}, h('strong.mono', l.code), ' ', h('span.muted', l.product_name),
    h('div.legend', h('span', h('i'), 'reported peak'), h('span', h('i.meas'), 'installed')),
    sized(w => lineChart({points: peaks, measured: inst, unit: 'licenses', width: w})),
    h('p.small.muted', l.projection.text));
}

// entitlements lists the contract's licenses (the config's and those
// entered here) and enters one: it overrides the installed count the
// License Server reports, or adds a license it does not report. Entered
// ones are kept in the data directory (DATA/entitlements.json).
function entitlements(main, pos, e) {
  const save = async list => {
    try {
      await api('/api/entitlements', {method: 'PUT', json: {entitlements: list}});
      mount(main, null);
    } catch (err) {
      msg.textContent = err.message;
    }
  };
  const msg = h('p.err-text', {id: 'entitlement-error', role: 'alert'});
  const lic = h('input', {name: 'license', required: true, placeholder: 'XDT_PLT_UD or its name', list: 'entitlement-codes', 'aria-label': 'License'});
  const qty = h('input', {name: 'quantity', type: 'number', min: '0', required: true, 'aria-label': 'Quantity'});
  const od = h('input', {name: 'overdraft', type: 'number', min: '0', 'aria-label': 'Overdraft allowance'});
  const end = h('input', {name: 'end_date', type: 'date', 'aria-label': 'Contract end'});
  const form = h('form', {id: 'entitlement-form', onsubmit: ev => {
    ev.preventDefault();
    const add = {license: lic.value.trim(), quantity: +qty.value, overdraft: +od.value || 0, end_date: end.value};
    save(e.entered.filter(x => x.license.toLowerCase() !== add.license.toLowerCase()).concat([add]));
  }},
  h('label', 'License ', lic), h('label', ' Quantity ', qty), h('label', ' Overdraft allowance ', od), h('label', ' Contract end ', end), ' ',
  h('button.btn.small.primary', {type: 'submit'}, 'Save entitlement'),
  h('datalist', {id: 'entitlement-codes'}, pos.licenses.map(l => h('option', {value: l.code}, l.product_name))));
  const entered = x => e.entered.some(y => y.license.toLowerCase() === x.license.toLowerCase());
  return h('div.card', {id: 'entitlements'},
    h('h2', 'Your entitlements'),
    h('p.small.muted', 'What your contract grants. It replaces the installed count the License Server reports for that license. ',
      e.where ? 'Entered here, kept in the data directory (' + e.where + '); the config\'s licenses.entitlements come first, an entry here for the same license replaces it.' : 'Set them in the config (licenses.entitlements).'),
    e.effective.length ? h('div.scrollx', h('table.ids', {id: 'entitlement-table'},
      h('thead', h('tr', h('th', 'License'), h('th.num', 'Quantity'), h('th.num', 'Overdraft allowance'), h('th', 'Contract end'), h('th', 'Entered in'), h('th', ''))),
      h('tbody', e.effective.map(x => h('tr', {dataset: {license: x.license}},
        h('td.mono', x.license), h('td.num', num(x.quantity)), h('td.num', x.overdraft ? num(x.overdraft) : ''), h('td', x.end_date || 'open'),
        h('td', x.from || ''),
        h('td', entered(x) ? h('button.btn.small', {type: 'button', onclick: () => save(e.entered.filter(y => y.license.toLowerCase() !== x.license.toLowerCase()))}, 'Remove') : null)))))) :
      h('p', 'No entitlement entered: installed counts are what the License Server reports.'),
    e.where ? [form, msg] : null);
}
