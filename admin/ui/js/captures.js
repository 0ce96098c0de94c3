// Captures: a virtualised table over GET /api/captures, newest first. It
// holds only the pages on screen; free-text searches page by cursor.
import {api} from './api.js';
import {bytes, debounce, h, hashFor, isoToLocalInput, localInputToISO, localTime, num, pathOf, statusBadge, utcTitle} from './util.js';
import {highlight, nearHit, pane, shortType} from './listpane.js';

const PAGE = 200;
const ROW = 28;
const FILTERS = ['q', 'host', 'method', 'status', 'kind', 'endpoint', 'since', 'until', 'usage_since', 'usage_until', 'sent_by', 'changed', 'drift', 'sort', 'order'];
// COLUMNS: [sort key, label, class]; a key of '' does not sort.
const COLUMNS = [['number', 'No.', 'num c-no'], ['time', 'Captured', 'c-time'], ['reported', 'Usage day', 'c-rep'],
  ['name', 'Endpoint', 'c-ep'], ['host', 'Host', 'c-host'], ['status', 'Status', 'c-st'], ['kind', 'Kind', 'c-kind'],
  ['', 'Type', 'c-type'], ['duration', 'Time', 'num c-dur'], ['sent', 'Sent', 'num c-sent'], ['received', 'Received', 'num c-recv'], ['', '', 'num c-flags']];

// State survives leaving the page, so that Back returns to the same rows.
const st = {
  filters: {},
  key: null,
  total: 0,
  all: 0,
  pages: new Map(), // page index -> items (offset paging)
  loading: new Set(),
  items: [], // cursor paging (free-text search)
  next: '',
  done: false,
  searching: false,
  sel: 0,
  scrollTop: 0,
  fresh: new Set(),
  facets: null,
  unseen: 0, // captures that came while a search was shown
  gen: 0, // bumps when the filters change; stale answers are dropped
};
let view = null;

// Free text and changes by field read bodies: the server pages them by
// cursor, without a total.
const searchMode = () => !!(st.filters.q || st.filters.changed);

function filterQuery() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (st.filters[k]) q.set(k, st.filters[k]);
  return q;
}

function reset() {
  st.pages.clear();
  st.loading.clear();
  st.items = [];
  st.next = '';
  st.done = false;
  st.total = 0;
  st.sel = 0;
  st.scrollTop = 0;
  st.unseen = 0;
  st.gen++;
}

export async function mount(main, route) {
  const f = {};
  for (const k of FILTERS) if (route.query.get(k)) f[k] = route.query.get(k);
  const key = new URLSearchParams(f).toString();
  if (key !== st.key) {
    st.filters = f;
    st.key = key;
    reset();
  }
  view = build(main);
  if (!st.facets) loadFacets();
  else fillFacets();
  if (searchMode()) {
    if (!st.items.length && !st.done) await loadMore();
  } else {
    await loadPage(0);
  }
  view.viewport.scrollTop = st.scrollTop;
  render();
  view.viewport.focus({preventScroll: true});
}

export function unmount() {
  if (view) {
    st.scrollTop = view.viewport.scrollTop;
    document.removeEventListener('keydown', view.onKey);
    window.removeEventListener('resize', view.onResize);
  }
  view = null;
}

function build(main) {
  const v = {};
  const setFilter = (k, val) => {
    st.filters[k] = val || undefined;
    applyFilters();
  };
  const sel = (k, label, opts) => h('select', {'aria-label': label, dataset: {f: k}, onchange: e => setFilter(k, e.target.value)},
    h('option', {value: ''}, label), opts.map(([val, text]) => h('option', {value: val}, text)));
  v.q = h('input.q', {type: 'search', placeholder: 'Search URLs and decoded bodies…  ( / )', 'aria-label': 'Search', value: st.filters.q || '',
    oninput: debounce(e => setFilter('q', e.target.value.trim()), 350)});
  v.host = sel('host', 'All hosts', []);
  v.method = sel('method', 'All methods', []);
  v.status = sel('status', 'Any status', [['2xx', '2xx'], ['3xx', '3xx'], ['4xx', '4xx'], ['5xx', '5xx'], ['none', 'no response'], ['error', 'error']]);
  v.kind = sel('kind', 'All kinds', [['exchange', 'exchange'], ['tunnel', 'tunnel'], ['denied', 'denied']]);
  // The program on the proxy's own host that opened the connection: its
  // name, image path, service, user or PID.
  v.sentBy = h('input.sentby', {type: 'search', id: 'f-sent-by', placeholder: 'Sent by…', 'aria-label': 'Sent by',
    title: "Only captures sent by this program on the proxy's host: a name, image path, service or user, or a PID",
    value: st.filters.sent_by || '', oninput: debounce(e => setFilter('sent_by', e.target.value.trim()), 350)});
  v.since = h('input', {type: 'datetime-local', 'aria-label': 'From', value: isoToLocalInput(st.filters.since),
    onchange: e => setFilter('since', localInputToISO(e.target.value))});
  v.until = h('input', {type: 'datetime-local', 'aria-label': 'Until', value: isoToLocalInput(st.filters.until),
    onchange: e => setFilter('until', localInputToISO(e.target.value))});
  // The usage day a capture reports on (a compliance upload sent on 2 June
  // reports 1 June), as the Usage day column shows it.
  const day = (k, label) => h('input', {type: 'date', 'aria-label': label, id: 'f-' + k.replace('_', '-'), value: st.filters[k] || '',
    onchange: e => setFilter(k, e.target.value)});
  v.usageSince = day('usage_since', 'Usage day from');
  v.usageUntil = day('usage_until', 'Usage day until');
  const chip = (k, label, title) => h('label.chip', {title},
    h('input', {type: 'checkbox', checked: !!st.filters[k], onchange: e => setFilter(k, e.target.checked ? '1' : '')}), label);
  v.count = h('span.count', {'aria-live': 'polite'});
  v.endpoint = st.filters.endpoint ? h('span.tag', {title: 'Only this endpoint'}, st.filters.endpoint, ' ',
    h('a', {href: '#', onclick: e => { e.preventDefault(); setFilter('endpoint', ''); }}, '×')) : null;
  const filters = h('div.filters', v.q, v.host, v.method, v.status, v.kind, v.sentBy,
    h('span.range', {title: 'When the capture was made'}, 'Captured ', v.since, '–', v.until),
    h('span.range', {title: 'The usage day the payload reports on; captures that report none are left out'}, 'Usage day ', v.usageSince, '–', v.usageUntil),
    chip('changed', 'Changed', 'Only captures whose request changed in a field that is not volatile since the previous capture of the same endpoint'),
    chip('drift', 'Drift', 'Only captures with a new endpoint, a new field or a changed type'),
    v.endpoint,
    h('button.btn.small', {type: 'button', onclick: () => { st.filters = {}; applyFilters(true); }}, 'Clear'),
    v.count);
  for (const s of [v.host, v.method, v.status, v.kind]) s.value = st.filters[s.dataset.f] || '';

  v.spacer = h('div.spacer');
  v.viewport = h('div.viewport', {tabindex: 0, role: 'grid', 'aria-label': 'Captures', onscroll: () => schedule()}, v.spacer);
  v.viewport.addEventListener('click', e => {
    const row = e.target.closest('.row');
    if (row && row.dataset.i) select(+row.dataset.i);
  });
  v.pane = h('aside.pane.card', {id: 'list-pane', 'aria-live': 'polite'}, h('p.muted', 'Click a capture to see what it reported; double-click or Enter opens it.'));
  v.viewport.addEventListener('dblclick', e => {
    const row = e.target.closest('.row');
    if (row && row.dataset.id) open(row.dataset.id);
  });
  const head = h('div.thead.cols', {role: 'row'}, COLUMNS.map(([key, label, cls]) => sortHead(key, label, cls)));
  v.table = h('div.table', head, v.viewport);
  // Shown while the store's indexer is behind: the list lacks the newest
  // captures (X-Index-Behind; showBehind).
  v.behind = h('div.card.banner.bad', {id: 'index-behind', role: 'status', hidden: true});
  main.replaceChildren(filters, v.behind, h('div.split', v.table, v.pane),
    h('p.help', h('span.kbd', 'j'), ' ', h('span.kbd', 'k'), ' move · ', h('span.kbd', 'Enter'), ' open · ',
      h('span.kbd', '/'), ' search · ', h('span.kbd', 'd'), ' diff with previous'));
  v.onKey = e => onKey(e);
  v.onResize = () => { size(); schedule(); };
  document.addEventListener('keydown', v.onKey);
  window.addEventListener('resize', v.onResize);
  view = v;
  size();
  return v;
}

// showBehind shows the banner when an answer of GET /api/captures is
// partial, the store's indexer being behind (X-Index-Behind: how many
// acknowledged records it lacks), and hides it once an answer is whole.
function showBehind(r) {
  const n = +(r.headers.get('X-Index-Behind') || 0);
  if (!view || !view.behind) return;
  view.behind.hidden = n === 0;
  view.behind.replaceChildren(...(n === 0 ? [] : [h('strong', 'This list is partial: '),
    `the newest ${num(n)} acknowledged ${n === 1 ? 'record is' : 'records are'} recorded but not indexed yet, so they are not shown. ` +
    'The store is behind (a full or slow disk: see /readyz and the alerts); the list fills in once it catches up.']));
}

// sortHead is a column heading; a click sorts by it, a second click
// reverses the order.
function sortHead(key, label, cls) {
  const cur = (st.filters.sort || 'time') === key;
  const desc = (st.filters.order || 'desc') === 'desc';
  const attrs = {class: cls, role: 'columnheader'};
  if (!key) return h('div', attrs, label);
  attrs['aria-sort'] = cur ? (desc ? 'descending' : 'ascending') : 'none';
  attrs.dataset = {sort: key};
  return h('div', attrs, h('button.sorter', {type: 'button', title: 'Sort by ' + (label || key).toLowerCase(), onclick: () => {
    st.filters.order = cur && desc ? 'asc' : 'desc';
    st.filters.sort = key === 'time' ? undefined : key;
    if (st.filters.order === 'desc') st.filters.order = undefined;
    applyFilters(true);
  }}, label, cur ? (desc ? ' ▾' : ' ▴') : ''));
}

function size() {
  if (!view) return;
  const top = view.viewport.getBoundingClientRect().top;
  const below = window.innerWidth < 1200 ? 200 : 0; // the pane goes under the table
  view.viewport.style.height = Math.max(200, window.innerHeight - top - 84 - below) + 'px';
}

function applyFilters(rebuild) {
  const q = filterQuery();
  history.replaceState(null, '', hashFor('captures', [], q));
  st.key = new URLSearchParams(Object.fromEntries(q)).toString();
  reset();
  if (rebuild) {
    mount(document.getElementById('main'), {query: q});
    return;
  }
  view.viewport.scrollTop = 0;
  if (searchMode()) loadMore().then(render);
  else loadPage(0).then(render);
  render();
}

async function loadFacets() {
  try {
    st.facets = await api('/api/facets');
    fillFacets();
  } catch { /* the filters still work by hand */ }
}

function fillFacets() {
  if (!view || !st.facets) return;
  const fill = (sel, list) => {
    const cur = st.filters[sel.dataset.f] || '';
    const first = sel.options[0];
    sel.replaceChildren(first, ...list.map(x => h('option', {value: x.value}, `${x.value}  (${num(x.count)})`)));
    sel.value = cur;
  };
  fill(view.host, st.facets.hosts);
  fill(view.method, st.facets.methods);
}

async function loadPage(p) {
  if (st.pages.has(p) || st.loading.has(p)) return;
  st.loading.add(p);
  const gen = st.gen;
  const q = filterQuery();
  q.set('order', st.filters.order || 'desc');
  q.set('offset', String(p * PAGE));
  q.set('limit', String(PAGE));
  try {
    const r = await api('/api/captures?' + q, {raw: true});
  showBehind(r);
    const items = await r.json();
    if (gen !== st.gen) return;
    st.pages.set(p, items);
    st.total = +(r.headers.get('X-Total-Count') || 0);
    st.all = +(r.headers.get('X-Catalog-Count') || 0);
  } finally {
    st.loading.delete(p);
  }
  schedule();
}

// loadMore fetches the next page of a free-text search.
async function loadMore() {
  if (st.searching || st.done) return;
  st.searching = true;
  const gen = st.gen;
  const q = filterQuery();
  q.set('order', st.filters.order || 'desc');
  q.set('limit', String(PAGE));
  if (st.next) q.set('cursor', st.next);
  try {
    const r = await api('/api/captures?' + q, {raw: true});
  showBehind(r);
    const items = await r.json();
    if (gen !== st.gen) return;
    st.items.push(...items);
    st.next = r.headers.get('X-Next-Cursor') || '';
    st.done = !st.next;
    st.all = +(r.headers.get('X-Catalog-Count') || 0);
  } finally {
    if (gen === st.gen) st.searching = false;
  }
  schedule();
}

const count = () => (searchMode() ? st.items.length + (st.done ? 0 : 1) : st.total);

function itemAt(i) {
  if (searchMode()) return st.items[i];
  const p = st.pages.get(Math.floor(i / PAGE));
  return p && p[i % PAGE];
}

let frame = 0;
function schedule() {
  if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
}

function render() {
  if (!view) return;
  const vp = view.viewport;
  const n = count();
  view.spacer.style.height = n * ROW + 'px';
  const first = Math.max(0, Math.floor(vp.scrollTop / ROW) - 8);
  const last = Math.min(n - 1, Math.ceil((vp.scrollTop + vp.clientHeight) / ROW) + 8);
  const rows = [];
  for (let i = first; i <= last; i++) {
    const it = itemAt(i);
    if (!it) {
      if (searchMode()) loadMore();
      else loadPage(Math.floor(i / PAGE));
    }
    rows.push(rowEl(i, it));
  }
  if (!n) rows.push(h('div.empty', st.gen && (st.pages.size || st.done) ? 'No capture matches these filters.' : 'Loading…'));
  view.spacer.replaceChildren(...rows);
  renderCount();
}

function renderCount() {
  let text;
  if (searchMode()) {
    text = `${num(st.items.length)}${st.done ? '' : '+'} matches in ${num(st.all)} captures` + (st.done ? '' : ' — reading bodies…');
  } else if (st.total === st.all) {
    text = `${num(st.all)} capture${st.all === 1 ? '' : 's'}`;
  } else {
    text = `${num(st.total)} of ${num(st.all)} captures`;
  }
  view.count.replaceChildren(text);
  if (searchMode() && st.unseen) {
    view.count.append(' · ', h('a', {href: '#', onclick: e => { e.preventDefault(); applyFilters(); }},
      `${st.unseen} new — search again`));
  }
}

function rowEl(i, it) {
  const cls = ['row', 'cols'];
  if (i === st.sel) cls.push('sel');
  if (!it) {
    const el = h('div', {class: cls.concat('loading').join(' '), role: 'row'}, h('div.t', searchMode() ? 'searching…' : '…'));
    el.style.top = i * ROW + 'px';
    return el;
  }
  if (st.fresh.has(it.id)) cls.push('fresh');
  const flags = h('div.flags.c-flags',
    it.drift ? h('span.dot.drift', {title: 'drift: ' + it.drift + ' event(s)'}) : null,
    it.error ? h('span.dot.err', {title: it.error}) : null);
  const what = it.kind === 'exchange' ? pathOf(it.url) : it.kind + ' ' + it.host;
  const ep = it.snippet
    ? h('div.c-ep', {title: it.snippet}, it.name ? [h('span.epname', it.name), ' '] : null, h('span.snip', highlight(nearHit(it.snippet, st.filters.q), st.filters.q)))
    : h('div.c-ep', {title: `${it.method || ''} ${it.url}`},
      it.name ? [h('span.epname', it.name), ' '] : [h('span.m.' + (it.method || 'x'), it.method || '—'), ' '],
      h('span.path', what));
  const el = h('div', {class: cls.join(' '), role: 'row', 'aria-selected': i === st.sel ? 'true' : 'false', dataset: {i: String(i), id: it.id}},
    h('div.num.c-no', String(it.number || '')),
    h('div.t.c-time', {title: utcTitle(it.time)}, localTime(it.time)),
    h('div.t.c-rep', {title: it.reported_for ? `Usage of ${it.reported_for} (UTC), sent ${utcTitle(it.time)}` : 'The payload names no date of its own'},
      it.reported_for || '—'),
    ep,
    h('div.host.c-host', {title: it.host}, it.host),
    h('div.c-st', statusBadge(it)),
    h('div.c-kind', h('span.tag.kind-' + it.kind, it.kind)),
    h('div.c-type', {title: it.content_type || ''}, shortType(it.content_type)),
    h('div.num.c-dur', it.duration_ms !== undefined ? Math.round(it.duration_ms) + ' ms' : '–'),
    h('div.num.c-sent', bytes(it.request_bytes)),
    h('div.num.c-recv', bytes(it.response_bytes)),
    flags);
  el.style.top = i * ROW + 'px';
  return el;
}

function select(i, scroll) {
  const n = count();
  if (!n) return;
  st.sel = Math.max(0, Math.min(n - 1, i));
  if (view && itemAt(st.sel)) pane(view.pane, itemAt(st.sel));
  if (scroll && view) {
    const vp = view.viewport;
    const top = st.sel * ROW;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + ROW > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + ROW - vp.clientHeight;
  }
  render();
}

function open(id) {
  st.scrollTop = view ? view.viewport.scrollTop : 0;
  location.hash = hashFor('capture', [id]);
}

function onKey(e) {
  if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
  if (typing) {
    if (e.key === 'Escape' || (e.key === 'Enter' && e.target === view.q)) view.viewport.focus();
    return;
  }
  const it = itemAt(st.sel);
  switch (e.key) {
  case 'j': case 'ArrowDown': select(st.sel + 1, true); break;
  case 'k': case 'ArrowUp': select(st.sel - 1, true); break;
  case 'PageDown': select(st.sel + Math.floor(view.viewport.clientHeight / ROW), true); break;
  case 'PageUp': select(st.sel - Math.floor(view.viewport.clientHeight / ROW), true); break;
  case 'Home': case 'g': select(0, true); break;
  case 'End': case 'G': select(count() - 1, true); break;
  case 'Enter': case 'o': if (it) open(it.id); break;
  case 'd': if (it && it.prev) location.hash = hashFor('diff', [it.prev, it.id]); break;
  case '/': view.q.focus(); view.q.select(); break;
  default: return;
  }
  e.preventDefault();
}

// onCapture handles a live event: a capture opened or completed.
const refreshTop = debounce(async () => {
  if (!view || searchMode()) return;
  const before = st.total;
  const known = new Set((st.pages.get(0) || []).map(x => x.id));
  const gen = st.gen;
  const q = filterQuery();
  q.set('order', 'desc');
  q.set('offset', '0');
  q.set('limit', String(PAGE));
  const r = await api('/api/captures?' + q, {raw: true});
  showBehind(r);
  const items = await r.json();
  if (gen !== st.gen || !view) return;
  const total = +(r.headers.get('X-Total-Count') || 0);
  st.all = +(r.headers.get('X-Catalog-Count') || 0);
  const delta = total - before;
  if (delta > 0) {
    // New rows come in at the top: keep the selected capture and the
    // rows in view where they are.
    st.pages.clear();
    if (before > 0) st.sel += delta;
    if (view.viewport.scrollTop > 0) view.viewport.scrollTop += delta * ROW;
    for (const x of items) if (!known.has(x.id)) markFresh(x.id);
  }
  st.pages.set(0, items);
  st.total = total;
  render();
}, 200);

function markFresh(id) {
  st.fresh.add(id);
  setTimeout(() => st.fresh.delete(id), 3000);
}

export function onCapture(item) {
  if (searchMode() && view && item.id && !st.items.some(x => x.id === item.id)) {
    st.unseen++; // a search is not rerun by itself: offer to
    renderCount();
  }
  for (const items of st.pages.values()) {
    const i = items.findIndex(x => x.id === item.id);
    if (i >= 0) items[i] = Object.assign({}, items[i], item);
  }
  st.facets = null; // new hosts may have come
  refreshTop();
}
