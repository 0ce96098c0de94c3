// Personal data: every identity the license server sent (e-mail and UPN,
// user name, SID, device and host name, IP address, hashed identifier),
// how many uploads carried it, where to, first and last seen; and whether
// Citrix's username anonymisation is in effect.
import {api} from './api.js';
import {h, hashFor, num, put, time} from './util.js';

const CATEGORIES = {
  email: 'E-mail / UPN', upn: 'UPN', user_name: 'User name', sid: 'SID', host_name: 'Device / host name',
  ip_address: 'IP address', hashed_id: 'Hashed identifier', device_list: 'Device list',
};
const PAGE = 500;
let filter = '';
let search = '';

export async function mount(main) {
  main.replaceChildren(h('p.muted', 'Loading personal data…'));
  const p = await api('/api/personal');
  const counts = {};
  for (const id of p.identities) counts[id.category] = (counts[id.category] || 0) + 1;
  const table = h('div');
  const draw = () => put(table, identities(p, filter, search));
  const box = h('input', {type: 'search', id: 'personal-search', value: search, placeholder: 'Search a name, address, device…', 'aria-label': 'Search identifiers',
    oninput: () => { search = box.value; draw(); }});
  const chips = h('div.summary', h('button.btn.small', {type: 'button', class: filter ? null : 'on', onclick: () => { filter = ''; redraw(); }}, `All (${num(p.identities.length)})`),
    Object.entries(counts).map(([c, n]) => h('button.btn.small', {type: 'button', class: filter === c ? 'on' : null, dataset: {cat: c},
      onclick: () => { filter = c; redraw(); }}, `${CATEGORIES[c] || c} (${num(n)})`)));
  const redraw = () => {
    for (const b of chips.querySelectorAll('button')) b.classList.toggle('on', (b.dataset.cat || '') === filter);
    draw();
  };
  put(main,
    h('div.page-head', h('h1', 'Personal data'), h('span.sub', 'Which personal data left the building: every identity sent to Citrix, and where.')),
    anonymisation(p.anonymisation, p.names),
    countsCard(p.counts),
    h('div.card',
      h('div.summary', h('strong', `${num(p.identities.length)} distinct identifiers sent`), box,
        h('a.btn.small.primary', {href: '/api/personal?format=csv', download: 'telltale-personal-data.csv', id: 'personal-csv'}, 'Export CSV')),
      chips, table));
  draw();
}

function anonymisation(a, names) {
  if (a.in_effect) {
    return h('div.card.banner.ok', {id: 'anonymisation'}, h('strong', 'Username anonymisation is in effect: '),
      'no user@domain name left in clear.');
  }
  return h('div.card.banner.bad', {id: 'anonymisation', role: 'alert'},
    h('strong', 'Username anonymisation is NOT in effect. '),
    `${num(a.plain)} user@domain name${a.plain === 1 ? '' : 's'} left in clear (e.g. `, h('span.mono', a.example), ') to ',
    a.endpoints.map((e, i) => [i ? ', ' : '', names[e] || e]), '. ',
    'Turn on username anonymisation on the license server (Citrix Licensing Manager, usage statistics), and check again after the next upload.');
}

// counts are the page's numbers, as report.html and `telltale personal`
// count them: a person once over the identifiers sent together.
export function countsCard(c, id = 'personal-counts') {
  if (!c) return null;
  return h('div.card', {id},
    h('dl.kv.counts',
      h('dt', 'People'), h('dd', {dataset: {count: 'people'}}, num(c.people)),
      h('dt', 'Devices and hosts'), h('dd', {dataset: {count: 'devices'}}, num(c.devices)),
      h('dt', 'IP addresses'), h('dd', {dataset: {count: 'addresses'}}, num(c.addresses)),
      h('dt', 'Identifiers'), h('dd', {dataset: {count: 'identifiers'}}, num(c.identifiers)),
      h('dt', 'User names in clear'), h('dd', {dataset: {count: 'plain'}}, num(c.plain))),
    h('p.small.muted', 'A person is counted once over the identifiers a payload sent together (a user\'s hashed name, UPN and SID in one record).'));
}

function identities(p, cat, q) {
  q = (q || '').toLowerCase();
  const list = p.identities.filter(x => (!cat || x.category === cat) && (!q || x.value.toLowerCase().includes(q)));
  if (!list.length) return h('p.muted', q ? `No identifier matches “${q}”.` : 'No personal data sent, as far as the analysis can tell.');
  const shown = list.slice(0, PAGE);
  return h('div',
    h('table.ids', {id: 'identities'},
      h('thead', h('tr', h('th', 'Category'), h('th', 'Value'), h('th.num', 'Uploads'), h('th', 'Sent to'), h('th', 'First seen'), h('th', 'Last seen'))),
      h('tbody', shown.map(x => h('tr', {class: x.plain ? 'plain' : null},
        h('td', CATEGORIES[x.category] || x.category, x.plain ? [' ', h('span.tag.bad', 'in clear')] : null),
        h('td.mono', x.value),
        h('td.num', num(x.uploads)),
        h('td', x.endpoints.map((e, i) => [i ? ', ' : '', p.names[e] || e])),
        h('td', h('a', {href: hashFor('capture', [x.first_id])}, time(x.first_time))),
        h('td', h('a', {href: hashFor('capture', [x.last_id])}, time(x.last_time))))))),
    list.length > PAGE ? h('p.muted', `Showing ${PAGE} of ${num(list.length)}; the CSV export has them all.`) : null);
}
