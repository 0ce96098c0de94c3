// Small SVG charts, drawn by hand: a line chart of a figure over time and a
// strip of uploads over time.
import {bytes, captureName, hashFor, localTime, s} from './util.js';

const PAD = {l: 52, r: 14, t: 12, b: 26};

function ticks(lo, hi, n) {
  if (hi === lo) return [lo];
  const step0 = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(x => x >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

function fmtNum(v) {
  return Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : Math.abs(v) >= 1e4 ? (v / 1e3).toFixed(0) + 'k' : String(v);
}

// timeLabel shows dates, or times of day when the span is short.
function timeLabel(t, span) {
  const full = localTime(new Date(t).toISOString());
  return span < 2 * 86400e3 ? full.slice(11) : full.slice(0, 10);
}

function frame(W, height, t0, t1, yTicks, y, yfmt) {
  const x = t => PAD.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.l - PAD.r);
  const g = [];
  for (const v of yTicks || []) {
    g.push(s('line', {class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v)}),
      s('text', {x: PAD.l - 6, y: y(v) + 4, 'text-anchor': 'end'}, yfmt(v)));
  }
  g.push(s('line', {class: 'axis', x1: PAD.l, x2: W - PAD.r, y1: height - PAD.b, y2: height - PAD.b}));
  const xt = t1 > t0 ? [t0, t0 + (t1 - t0) / 2, t1] : [t0];
  xt.forEach((t, i) => g.push(s('text', {x: x(t), y: height - 8, 'text-anchor': ['start', 'middle', 'end'][i] || 'middle'}, timeLabel(t, t1 - t0))));
  return {x, g};
}

// sized draws a chart at the width its box gets once on the page, and
// again when the window is resized, so that text is never scaled.
export function sized(draw) {
  const box = document.createElement('div');
  let w = 0;
  const redraw = () => {
    if (!box.isConnected) {
      window.removeEventListener('resize', redraw);
      return;
    }
    if (box.clientWidth && box.clientWidth !== w) {
      w = box.clientWidth;
      box.replaceChildren(draw(w));
    }
  };
  requestAnimationFrame(redraw);
  window.addEventListener('resize', redraw);
  return box;
}

// lineChart draws points [{t, v, id, label}], an optional measured series
// [{t, v}] (dashed) and mismatches [{t, v, title}] (red dots).
export function lineChart({points, measured = [], mismatches = [], width = 560, height = 180, unit = ''}) {
  const W = width;
  const all = points.concat(measured, mismatches.filter(m => m.v !== null && m.v !== undefined));
  const ts = all.map(p => p.t);
  const vs = all.map(p => p.v);
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  let lo = Math.min(0, ...vs);
  let hi = Math.max(...vs);
  if (hi === lo) hi = lo + 1;
  const yt = ticks(lo, hi, 4);
  hi = Math.max(hi, yt[yt.length - 1]);
  const y = v => height - PAD.b - ((v - lo) / (hi - lo)) * (height - PAD.t - PAD.b);
  const {x, g} = frame(W, height, t0, t1, yt, y, fmtNum);
  const path = pts => pts.map((p, i) => (i ? 'L' : 'M') + x(p.t).toFixed(1) + ',' + y(p.v).toFixed(1)).join('');
  if (measured.length) g.push(s('path', {class: 'meas', d: path(measured)}));
  g.push(s('path', {class: 'line', d: path(points)}));
  for (const p of points) {
    g.push(s('a', {href: hashFor('capture', [p.id])},
      s('circle', {class: 'pt', cx: x(p.t), cy: y(p.v), r: 3}),
      s('title', {}, `${p.label || ''}${p.v}${unit ? ' ' + unit : ''} — ${localTime(new Date(p.t).toISOString())} (capture ${captureName(p.id)})`)));
  }
  for (const m of mismatches) {
    const cy = m.v === null || m.v === undefined ? height - PAD.b : y(m.v);
    g.push(s('g', {class: 'mismatch'}, s('circle', {class: 'mis', cx: x(m.t), cy, r: 5}), s('title', {}, m.title)));
  }
  return s('svg', {class: 'chart', viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img'}, g);
}

// uploadStrip draws one bar per capture: height by bytes sent (log
// scale), red when it failed.
export function uploadStrip(items, width = 560, height = 120) {
  const W = width;
  if (!items.length) return null;
  const ts = items.map(i => Date.parse(i.time));
  const t0 = Math.min(...ts);
  const t1 = Math.max(...ts);
  const maxB = Math.max(1, ...items.map(i => i.request_bytes));
  const top = Math.log10(maxB + 1);
  const y = b => height - PAD.b - (Math.log10(b + 1) / top) * (height - PAD.t - PAD.b);
  const yt = ticks(0, top, 3).filter(v => Number.isInteger(v));
  const {x, g} = frame(W, height, t0, t1, yt, v => y(Math.pow(10, v) - 1), v => bytes(Math.pow(10, v)).replace(' ', ''));
  const bw = Math.max(2, Math.min(8, (W - PAD.l - PAD.r) / items.length - 1));
  items.forEach((it, i) => {
    const bad = it.error || it.status >= 400 || !it.complete;
    const yy = y(it.request_bytes);
    g.push(s('a', {href: hashFor('capture', [it.id])},
      s('rect', {class: 'up' + (bad ? ' bad' : ''), x: x(ts[i]) - bw / 2, y: yy, width: bw, height: Math.max(1, height - PAD.b - yy)}),
      s('title', {}, `capture ${captureName(it.id)} — ${localTime(it.time)} — ${bytes(it.request_bytes)} sent, status ${it.status || 'none'}`)));
  });
  return s('svg', {class: 'chart', viewBox: `0 0 ${W} ${height}`, width: W, height, role: 'img'}, g);
}
