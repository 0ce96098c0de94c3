// DOM and formatting helpers.

// h builds an element: h('div.card.wide', {title: 'x', onclick: fn}, child, ...).
// Children are nodes, strings, numbers, arrays, or null/false (skipped).
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className += (el.className ? ' ' : '') + v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && k !== 'list' && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

const SVG = 'http://www.w3.org/2000/svg';

// s builds an SVG element.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// localTime shows a time in the browser's zone; utcTime is the title.
export function localTime(iso, withMs) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  let out = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (withMs) out += '.' + pad(d.getMilliseconds(), 3);
  return out;
}

export function utcTitle(iso) {
  return iso ? iso.replace(/\.(\d{3})\d*Z$/, '.$1Z') + ' (UTC)' : '';
}

// time is a <time> element in local time with UTC on hover.
export function time(iso, withMs) {
  return h('time', {datetime: iso, title: utcTitle(iso)}, localTime(iso, withMs));
}

export function bytes(n) {
  if (n === null || n === undefined || n < 0) return '–';
  if (n < 1024) return n + ' B';
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
  return (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)) + ' ' + u[i];
}

export function num(n) {
  return typeof n === 'number' ? n.toLocaleString() : String(n);
}

export function ms(a, b) {
  if (!a || !b) return null;
  return (new Date(b) - new Date(a));
}

export function pathOf(url) {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url || '';
  }
}

export function statusBadge(c) {
  if (c.error && !c.status) return h('span.st.err', {title: c.error}, 'err');
  if (!c.status) return h('span.st.s0', c.complete ? '—' : '…');
  return h('span.st.s' + Math.floor(c.status / 100), String(c.status));
}

export function debounce(fn, wait) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), wait);
  };
}

export function toast(msg) {
  const el = h('div.toast', {role: 'status'}, msg);
  document.body.append(el);
  setTimeout(() => el.remove(), 3000);
}

// Hash routes: #/page/a/b?x=1 -> {page, args, query}.
export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {page: parts[0] || 'position', args: parts.slice(1), query: new URLSearchParams(qs || '')};
}

// numbering names a capture in an address by its number (numbers.js
// sets it); until then, by its id.
let numbering = id => String(id);
export function setNumbering(fn) {
  numbering = fn;
}

// captureName names a capture for people, as the list and the CLI do:
// "no. 12"; by its id only while it has no number yet.
export function captureName(id) {
  const n = numbering(id);
  return n.startsWith('no.') ? 'no. ' + n.slice(3) : 'id ' + n;
}

export function hashFor(page, args = [], query) {
  if (page === 'capture' || page === 'diff') args = args.map(a => numbering(a));
  let out = '#/' + [page, ...args.map(encodeURIComponent)].join('/');
  const qs = query && query.toString();
  if (qs) out += '?' + qs;
  return out;
}

// datetime-local values are local times; the API wants RFC 3339.
export function localInputToISO(v) {
  if (!v) return '';
  const d = new Date(v);
  return isNaN(d) ? '' : d.toISOString();
}

export function isoToLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function hexdump(buf, max = 65536) {
  const b = new Uint8Array(buf, 0, Math.min(buf.byteLength, max));
  const lines = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    const hex = Array.from(row, x => x.toString(16).padStart(2, '0')).join(' ');
    const txt = Array.from(row, x => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join('');
    lines.push(i.toString(16).padStart(8, '0') + '  ' + hex.padEnd(48) + '  ' + txt);
  }
  if (buf.byteLength > max) lines.push(`… ${buf.byteLength - max} more bytes`);
  return lines.join('\n');
}

export function errorBox(err) {
  return h('div.card', h('p.err-text', err && err.message ? err.message : String(err)));
}

// put replaces el's children, skipping null, undefined and false.
export function put(el, ...kids) {
  el.replaceChildren(...kids.flat().filter(k => k !== null && k !== undefined && k !== false));
}
