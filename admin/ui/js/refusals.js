// The refusal banner: clients that refused Telltale's certificate (GET
// /api/refusals), shown above every page while serve knows of any, with
// the hosts passed through uninspected and a button that ends those.
import {h, localTime} from './util.js';
import {api} from './api.js';

let timer = null;

export function start() {
  refresh();
  if (!timer) timer = setInterval(refresh, 30000);
}

async function refresh() {
  const el = document.getElementById('refusals');
  if (!el) return;
  let r;
  try {
    r = await api('/api/refusals');
  } catch {
    return;
  }
  const refusals = r.refusals || [], pass = r.pass_through || [];
  el.hidden = refusals.length === 0 && pass.length === 0;
  if (el.hidden) return el.replaceChildren();
  el.replaceChildren(
    h('strong', 'A client refused Telltale\u2019s certificate: '),
    h('span', 'its traffic to these hosts fails (or passes uninspected) until it trusts the Telltale CA (telltale ca export; on Windows, the machine\u2019s Trusted Root store).'),
    h('ul', refusals.map(x => h('li', {'data-host': x.host},
      `${x.client} \u2192 ${x.host}: ${x.count} refused, the last at ${localTime(x.last)} (${x.alert})`,
      x.capture ? [' ', h('a', {href: '#/capture/' + x.capture}, 'capture ' + x.capture)] : null))),
    pass.length ? h('p', `Passed through uninspected: ${pass.map(p => p.client + ' \u2192 ' + p.host).join(', ')} `,
      h('button.btn.small', {type: 'button', id: 'end-pass-through', onclick: endPassThrough}, 'Intercept again')) : null);
}

async function endPassThrough() {
  await api('/api/refusals/pass-through', {method: 'DELETE'}).catch(() => {});
  refresh();
}
