// Evidence: the signed checkpoint, a whole-log verify, and the export
// bundle that `telltale export` writes.
import {api} from './api.js';
import {bytes, captureName, h, put, localInputToISO, num, time} from './util.js';

let poll = 0;
let last = null; // the last export, shown again when coming back

export async function mount(main) {
  const [ev, facets] = await Promise.all([api('/api/evidence'), api('/api/facets').catch(() => null)]);
  const verifyBox = h('div');
  let ck = checkpointCard(ev);
  // An export signs a checkpoint first: show the new one.
  const refresh = async () => {
    const fresh = checkpointCard(await api('/api/evidence'));
    ck.replaceWith(fresh);
    ck = fresh;
  };
  put(main,
    h('div.page-head', h('h1', 'Evidence'), h('span.sub', 'What proves that the log is the one written at the time, and a bundle to hand over.')),
    howTo(ev),
    exportCard(ev, facets, refresh),
    h('div.grid2', ck, h('div.card', h('h3', 'Verify the whole log'), verifyBox)));
  showVerify(verifyBox, ev.verify, ev);
}

export function unmount() {
  clearTimeout(poll);
}

// howTo answers "how do I hand proof to the vendor", first.
function howTo(ev) {
  const key = ev.key ? ` --key '${ev.key}'` : ' --key KEY';
  return h('section.card', {id: 'handover'},
    h('h2', 'Hand proof to the vendor'),
    h('ol.steps',
      h('li', h('strong', 'Export a bundle'), ' below: the captures you choose, with their inclusion proofs against a freshly signed checkpoint. ',
        'Leave "redact" on to withhold secrets (Authorization, cookies, client secrets); the proofs still verify.'),
      h('li', h('strong', 'Send the zip'), ' to the vendor, and the log key ', ev.key ? h('span.hash', ev.key) : '(DATA/ca/log.pub)',
        ' by another channel (a ticket, the contract\'s e-mail), so that they can pin it.'),
      h('li', h('strong', 'They check it offline'), ' with ', h('code', `telltale verify BUNDLE.zip${key}`),
        ', or by hand with sha256sum, openssl, jq and python3 as the bundle\'s README.txt explains.'),
      last && last.report ? h('li', h('a', {href: last.report, id: 'report-link'}, 'Open the printable report'), ' of the last bundle.') : null));
}

// archiveLine says how far the S3 Object Lock archive is behind the log.
function archiveLine(a) {
  const behind = a.size - Math.min(a.archived, a.size);
  const text = `s3://${a.bucket}: ${num(a.archived)} of ${num(a.size)} records, checkpoint ${num(a.checkpoint)}` +
    (behind > 0 ? `; ${num(behind)} waiting, the oldest for ${Math.round(a.lag_seconds / 60)} min` : '; up to date');
  return a.error ? h('span', {id: 'archive-line'}, text, ' ', h('span.tag.bad', 'failing: ' + a.error)) : h('span', {id: 'archive-line'}, text);
}

function checkpointCard(ev) {
  const ck = ev.checkpoint;
  const row = (k, v) => [h('dt', k), h('dd', v)];
  if (!ck) {
    return h('div.card', h('h3', 'Signed checkpoint'),
      h('p.muted', 'No checkpoint signed yet: serve signs one at start, on a schedule and at shutdown, once the log has records.'));
  }
  const after = ev.log_size - ck.tree_size;
  return h('div.card', {id: 'checkpoint'}, h('h3', 'Signed checkpoint'), h('dl.kv',
    row('Tree size', num(ck.tree_size) + ' records'),
    row('Root hash', h('span.hash', ck.root_hash || '—')),
    row('Signed', ck.time ? time(ck.time) : '—'),
    row('Signature', ck.signature === 'ok' ? h('span.tag.ok', 'verified') : h('span.tag.bad', ck.signature)),
    row('Log', `${num(ev.log_size)} records, ${after > 0 ? num(after) + ' after this checkpoint (the next one covers them)' : 'all covered'}`),
    row('Checkpoints', num(ev.checkpoints)),
    ev.key ? row('Log key', h('span.hash', ev.key)) : null,
    ev.fingerprint ? row('Fingerprint', h('span.hash', ev.fingerprint)) : null,
    ev.archive ? row('Archive', archiveLine(ev.archive)) : null),
  h('p.help', 'Keep the log key outside this machine: whoever checks a bundle pins it with ', h('code', 'telltale verify FILE.zip --key KEY'), '.'));
}

function showVerify(box, v, ev) {
  clearTimeout(poll);
  const button = h('button.btn.primary', {type: 'button', disabled: !ev.can_export || v.state === 'running', onclick: async () => {
    const nv = await api('/api/verify', {method: 'POST'});
    showVerify(box, nv, ev);
  }}, v.state === 'running' ? 'Verifying…' : 'Verify now');
  const parts = [h('p.muted', 'Recomputes every leaf from its record, hashes every stored body, rebuilds the Merkle tree and checks every signed checkpoint, as ',
    h('code', 'telltale verify'), ' does.'), button];
  if (v.state === 'running') {
    parts.push(h('p.muted', 'Started ', time(v.started), '…'));
    poll = setTimeout(async () => showVerify(box, (await api('/api/evidence')).verify, ev), 1000);
  } else if (v.state === 'error') {
    parts.push(h('p.err-text', v.error));
  } else if (v.state === 'done') {
    parts.push(h('div.result', {id: 'verify-result'},
      v.ok ? h('p', h('span.tag.ok', 'OK'), ` ${num(v.records)} records, ${num(v.bodies)} bodies and ${num(v.checkpoints)} checkpoints check.`)
        : h('p', h('span.tag.bad', 'FAILED'), ` ${num(v.failures_total)} problems:`),
      v.failures.length ? h('ul.verify-list.err-text', v.failures.map(f => h('li', f))) : null,
      v.notes_total ? h('details', h('summary', `${num(v.notes_total)} notes (not failures)`), h('ul.verify-list', v.notes.map(f => h('li', f)))) : null,
      v.warnings_total ? h('details', h('summary', `${num(v.warnings_total)} captures without a recorded response (not tampering)`), h('ul.verify-list', v.warnings.map(f => h('li', f)))) : null,
      h('p.help', 'Finished ', time(v.finished), '.')));
  }
  box.replaceChildren(...parts);
}

function exportCard(ev, facets, refresh) {
  const radio = (name, value, label, checked) => h('label', h('input', {type: 'radio', name, value, checked}), ' ', label);
  const host = h('select', {name: 'host', 'aria-label': 'Host'},
    ((facets && facets.hosts) || []).map(x => h('option', {value: x.value}, `${x.value} (${num(x.count)})`)));
  // Exact endpoints, as the signed capture index names them: a bundle of
  // one proves it holds every capture of it.
  const endpoint = h('select', {name: 'endpoint', 'aria-label': 'Endpoint'},
    ((facets && facets.exact_endpoints) || []).map(x => h('option', {value: x.value},
      `${x.name ? x.name + ': ' : ''}${x.value} (${num(x.count)})`)));
  const since = h('input', {type: 'datetime-local', name: 'since', 'aria-label': 'From'});
  const until = h('input', {type: 'datetime-local', name: 'until', 'aria-label': 'Until'});
  const ids = h('input', {type: 'text', name: 'ids', placeholder: '12, 15, 40', 'aria-label': 'Capture numbers'});
  const out = h('div', last ? result(last, ev) : null);
  const submit = h('button.btn.primary', {type: 'submit', disabled: !ev.can_export}, 'Export bundle');
  const form = h('form.export', {id: 'export-form', onsubmit: async e => {
    e.preventDefault();
    const fd = new FormData(form);
    const scope = fd.get('scope');
    const body = {redact: fd.get('redact') === 'yes', pseudonymise: fd.get('people') === 'pseudonymise'};
    if (scope === 'host') body.host = host.value;
    if (scope === 'endpoint') body.endpoint = endpoint.value;
    if (scope === 'range') {
      body.since = localInputToISO(since.value);
      body.until = localInputToISO(until.value);
    }
    if (scope === 'ids') {
      // The list shows capture numbers; the export takes ids.
      const {ids: byNumber} = await api('/api/numbers');
      body.ids = ids.value.split(/[\s,]+/).filter(Boolean).map(n => String(byNumber[+n - 1] || 'no-capture-' + n));
    }
    submit.disabled = true;
    submit.textContent = 'Exporting…';
    // A large store's bundle takes minutes: show the bytes written so far
    // and their rate, as the server counts them.
    const shown = h('p.muted', {id: 'export-progress'}, 'Exporting…');
    out.replaceChildren(shown);
    const poll = setInterval(async () => {
      try {
        const {running} = await api('/api/exports/running');
        if (running.length) {
          const r = running[0];
          shown.textContent = `Exporting: ${bytes(r.bytes)} written in ${Math.round(r.seconds)} s (${bytes(r.bytes_per_second)}/s)`;
        }
      } catch (_) { /* the export's own answer says what failed */ }
    }, 500);
    try {
      last = await api('/api/exports', {method: 'POST', json: body});
      out.replaceChildren(result(last, ev));
      refresh();
    } catch (err) {
      out.replaceChildren(h('p.err-text', err.message));
    } finally {
      clearInterval(poll);
      submit.disabled = false;
      submit.textContent = 'Export bundle';
    }
  }},
  h('span.muted', 'Captures'),
  h('div.opts', radio('scope', 'all', 'all', true), radio('scope', 'host', 'of host', false), host,
    radio('scope', 'endpoint', 'of endpoint', false), endpoint,
    radio('scope', 'range', 'between', false), since, '–', until, radio('scope', 'ids', 'these capture numbers', false), ids),
  h('span.muted', 'Secrets'),
  h('div.opts', radio('redact', 'yes', 'withhold them (Authorization, cookies, tokens, secrets; each listed, everything else still proven)', true),
    radio('redact', 'no', 'keep them in the bundle: give it only to whom may see them', false)),
  h('span.muted', 'People and devices'),
  h('div.opts', radio('people', 'keep', 'keep user and device names as they were sent', true),
    h('label', {id: 'pseudonymise-option'}, h('input', {type: 'radio', name: 'people', value: 'pseudonymise', id: 'export-pseudonymise'}),
      ' pseudonymise: withhold every user and device identifier and show a stable pseudonym instead (each committed to, salted, in the manifest); counts and the position stay checkable')),
  h('div.full', submit));
  return h('div.card', h('h3', 'Export a bundle'),
    ev.can_export ? null : h('p.err-text', 'This server cannot export (no log key).'),
    h('p.muted', 'The same zip as ', h('code', 'telltale export'), ': the captures with their inclusion proofs against a fresh signed checkpoint, ' +
      'the raw bodies, HAR and CSV views, and a README. Anyone can check it offline.'),
    form, out);
}

function result(x, ev) {
  const row = (k, v) => [h('dt', k), h('dd', v)];
  return h('div.result', {id: 'export-result'},
    h('dl.kv',
      row('Bundle', [h('a', {href: x.download, download: x.name, id: 'export-download'}, x.name), ' ', h('span.muted', bytes(x.size))]),
      x.report ? row('Report', [h('a', {href: x.report, target: '_blank', rel: 'noopener', id: 'export-report'}, 'Open the printable report'),
        ' ', h('span.muted', '(report.html in the bundle: the license position first)')]) : null,
      row('SHA-256', h('span.hash', x.sha256)),
      row('Holds', `${num(x.captures)} captures, ${num(x.records)} records, proven against the checkpoint of tree size ${num(x.checkpoint.tree_size)}`),
      x.skipped ? row('Left out', `${num(x.skipped)} captures newer than the checkpoint`) : null,
      row('Withheld', x.withheld.length ? `${x.withheld.length} parts (listed in manifest.json)` : 'nothing'),
      x.pseudonyms ? row('Pseudonymised', `${num(x.pseudonyms)} identifiers of people and devices, each shown as a stable pseudonym`) : null),
    x.withheld.length ? h('details', h('summary', 'What was withheld'), h('ul.verify-list', x.withheld.slice(0, 100).map(w =>
      h('li', `capture ${captureName(w.capture)} ${w.part}: ${w.reason}${w.fields ? ' (' + w.fields.join(', ') + ')' : ''}`)))) : null,
    h('p.help', 'Check it anywhere: ', h('code', `telltale verify ${x.name}${ev.key ? ` --key '${ev.key}'` : ''}`)));
}
