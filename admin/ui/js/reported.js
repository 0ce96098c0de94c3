// "What was reported": the first thing a capture page shows. The figures
// a payload reported (per feature or license, then the rest), the
// personal data it carried, and its parts by file name.
import {countsCard} from './personal.js';
import {h, time} from './util.js';

export function reportedCard(c, item, dec) {
  const req = (dec && dec.request) || {};
  // The usage upload's counts have their own table (usageTable).
  const figures = (req.figures || []).filter(f => !/\.Usage(Users|Devices|CheckOuts)$/.test(f.name));
  const personal = req.personal || [];
  const parts = partNames(req.tree);
  const when = figures.length && figures[0].time !== figures[0].captured ? figures[0].time : item.reported_for;
  return h('section.card.reported', {id: 'reported'},
    h('h2', 'What was reported', item.name ? h('span.muted', ' · ' + item.name) : null),
    h('p.muted', when ? ['For ', time(when), ' (the payload\'s own date); captured ', time(c.time), '.'] : ['Captured ', time(c.time), '.'],
      req.size !== undefined ? ` ${req.content_type || 'body'}, ${req.size} bytes sent.` : ''),
    dec && dec.error ? h('p.muted', 'Not decoded: ' + dec.error) : null,
    (req.usage || []).length ? usageTable(req.usage) : null,
    figures.length ? figureTables(figures) : (dec && !dec.error ? h('p.muted', 'No figures: this endpoint\'s rule extracts none (inspect.endpoints in the config).') : null),
    personal.length || (req.identities || []).length ? personalList(req, personal, req.fields || []) : (dec && !dec.error ? h('p.ok-text', 'No personal data found in this payload.') : null),
    parts.length > 1 ? h('p', h('strong', 'Parts: '), parts.map((p, i) => [i ? ', ' : '', h('span.mono', p)])) : null);
}

// usageTable shows what a usage upload's per-slice files say: per
// feature and usage day, distinct users and devices, check-outs.
function usageTable(rows) {
  return h('div', {id: 'reported-usage'}, h('h3', 'Usage in this upload'),
    h('p.muted.small', 'Counted from every slice file of the bundle together: distinct users and devices per feature per usage day (the events\' day, UTC).'),
    h('div.scrollx', h('table.figtable',
      h('thead', h('tr', h('th', 'Feature / license'), h('th', 'Usage day'), h('th.num', 'Distinct users'), h('th.num', 'Distinct devices'),
        h('th.num', 'Check-outs'), h('th.num', 'Check-ins'), h('th.num', 'Slice files'))),
      h('tbody', rows.map(r => h('tr', {dataset: {feature: r.feature, day: r.day}}, h('td.mono', r.feature), h('td', r.day || '–'),
        h('td.num', String(r.users)), h('td.num', String(r.devices)), h('td.num', String(r.check_outs)), h('td.num', String(r.check_ins)),
        h('td.num', String(r.files))))))));
}

// figureTables shows figures named SUBJECT.METRIC as a table with a row
// per subject (a feature, a license) and a column per metric; the others
// as a list.
function figureTables(figures) {
  const subjects = new Map();
  const metrics = [];
  const others = [];
  for (const f of figures) {
    const i = f.name.indexOf('.');
    const subj = i > 0 ? f.name.slice(0, i) : '';
    const metric = i > 0 ? f.name.slice(i + 1) : f.name;
    if (!subj || !/\[\d+\]\.[^.]+$/.test(f.path)) {
      others.push(f);
      continue;
    }
    if (!subjects.has(subj)) subjects.set(subj, {});
    subjects.get(subj)[metric] = f;
    if (!metrics.includes(metric)) metrics.push(metric);
  }
  const label = m => {
    for (const row of subjects.values()) if (row[m] && row[m].label) return row[m].label;
    return m;
  };
  return [
    subjects.size ? h('table.figtable', {id: 'reported-figures'},
      h('thead', h('tr', h('th', 'Feature / license'), metrics.map(m => h('th.num', {title: m}, label(m))))),
      h('tbody', [...subjects].map(([subj, row]) => h('tr', {dataset: {subject: subj}}, h('td.mono', subj),
        metrics.map(m => h('td.num', {title: row[m] ? row[m].name : ''}, row[m] ? String(row[m].value) : '–')))))) : null,
    others.length ? h('dl.kv', others.map(f => [h('dt', f.name), h('dd', String(f.value), f.unit ? ' ' + f.unit : '')])) : null,
  ];
}

// personalList shows the identities a payload carried, by value: plain
// user@domain names first.
function personalList(req, personal, fields) {
  const ids = (req.identities || []).slice().sort((a, b) => rank(a) - rank(b));
  const total = req.identity_count || ids.length;
  const shown = ids.slice(0, 8);
  const rows = shown.length ? shown.map(x => h('tr', h('td', x.category.replaceAll('_', ' ')), h('td.mono', x.value)))
    : personal.slice(0, 8).map(p => {
      const f = fields.find(g => g.path === p.path);
      return h('tr', h('td', p.category.replaceAll('_', ' ')), h('td.mono', f && f.type === 'string' ? String(f.value) : ''), h('td.faint', p.path));
    });
  const more = shown.length ? total - shown.length : personal.length - rows.length;
  return h('div.pii',
    h('h3', 'Personal data in this payload ', h('span.tag.warn', shown.length ? `${total} identifiers` : `${personal.length} fields`)),
    countsCard(req.identity_counts, 'capture-personal-counts'),
    h('table.hdrs', rows),
    h('p', more > 0 ? `and ${more} more; ` : '', h('a', {href: '#/personal'}, 'all personal data sent')));
}

const rank = x => (x.category === 'email' || x.category === 'upn' ? 0 : x.category === 'user_name' ? 1 : 2);

// partNames lists the file names inside a payload (zip entries, form
// parts), nested ones as "outer.zip › inner.csv".
function partNames(tree) {
  const out = [];
  const walk = (n, prefix) => {
    if (!n) return;
    const name = n.filename || n.name || '';
    const here = name ? (prefix ? prefix + ' › ' + name : name) : prefix;
    if (name && !(n.children || []).some(k => k.filename || k.name)) out.push(here);
    for (const k of n.children || []) walk(k, here);
  };
  walk(tree, '');
  return out;
}
