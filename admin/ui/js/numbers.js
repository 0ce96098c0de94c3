// Capture numbers: 1, 2, 3… in log order, as the list, the CLI (show N,
// diff N) and the report name captures. Links and the address bar name
// a capture "no.12"; the API takes its internal id, which stays out of
// sight. An address with a bare id still opens it.
import {api} from './api.js';
import {setNumbering} from './util.js';

let ids = []; // ids[n-1] is the id of capture n, ascending

// loadNumbers fetches the numbering; links made before it name ids.
export async function loadNumbers() {
  try {
    const r = await api('/api/numbers');
    ids = (r.ids || []).map(Number);
  } catch {
    ids = [];
  }
}

// numberOf is capture id's number, or 0 when it has none yet.
export function numberOf(id) {
  const x = Number(id);
  let lo = 0, hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo < ids.length && ids[lo] === x ? lo + 1 : 0;
}

// resolve turns an address's "no.12" into the capture's id; an id stays.
export async function resolve(ref) {
  const m = /^no\.(\d+)$/.exec(ref || '');
  if (!m) return ref;
  const n = +m[1];
  if (n > ids.length) await loadNumbers(); // newer than what we knew
  if (n < 1 || n > ids.length) throw new Error(`There is no capture no. ${n}.`);
  return String(ids[n - 1]);
}

setNumbering(id => {
  const n = numberOf(id);
  return n ? 'no.' + n : String(id);
});

// noteCapture numbers a capture the live stream announces.
export function noteCapture(item) {
  if (item && item.number === ids.length + 1) ids.push(Number(item.id));
}
