// Glossary: the words of Telltale's pages in an analyst's terms. Linked
// from the top bar of every page.
import {h, put} from './util.js';

export const TERMS = [
  ['Capture', 'One request the License Server sent to Citrix and the answer it got, recorded whole. Captures have numbers, 1, 2, 3… in the order they were recorded; the same number in the pages, the CLI and the report.'],
  ['Upload', 'A capture that carries a report to Citrix: the daily compliance upload (licenses in use), the usage upload (who used what, in slice files), Call Home, CEIP telemetry.'],
  ['Usage day', 'The day a figure describes. A compliance upload sent on 2 June reports the usage of 1 June; the position, the reconciliation and the charts go by usage day, not by the day the upload was sent.'],
  ['Endpoint', 'Where a capture went: the method, the host and the path, with the parts that change (customer id, product) as {placeholders}. "Compliance upload" is an endpoint.'],
  ['Installed', 'The licenses the License Server says it holds (the activation renewals, Call Home), or your entitlement when you enter one.'],
  ['In use, peak', 'The most licenses in use on a usage day (CountUsedMax in the compliance upload); the peak is the highest in the period.'],
  ['Overdraft', 'Licenses in use above installed, which Citrix may allow up to an allowance and bill.'],
  ['Dormant', 'Installed licenses unused even at the peak: installed minus peak.'],
  ['Entitlement', 'What your contract grants for a license: the count, the overdraft allowance, the end date. Entered on the Position page or in the config, it replaces the installed count the License Server reports.'],
  ['Reconcile', 'Compare your own count (the Licensing Manager\'s Historical Use export) with what was reported, day by day.'],
  ['Personal data', 'Anything that identifies a person or a device: user names, e-mail addresses, SIDs, device names, and their hashes. A person is counted once however many identifiers of them a payload sent together.'],
  ['Pseudonym', 'In a pseudonymised bundle, a stable stand-in for a user or device name (pn_email_…): the same person gets the same pseudonym in every bundle, so counts still add up, but only you can say who it is.'],
  ['Checkpoint', 'A signed statement of how many records the log holds and their combined hash. Whoever has it can check that no record was changed, added or removed since.'],
  ['Leaf', 'One record of the log as the checkpoint covers it: a hash of the capture\'s metadata, head and body. A part can be withheld and its leaf still proves it.'],
  ['Volatile', 'A field expected to change every time (a timestamp, a request id): shown dimmed and not counted as a change.'],
  ['Drift', 'A change in what an endpoint sends compared with before: a new field, a field gone, a new endpoint.'],
  ['Tunnel', 'A connection Telltale passed through without opening it (a host it is not told to inspect): only its size and times are known.'],
  ['Evidence bundle', 'A zip of chosen captures with the proofs that they are in the log, signed; anyone can check it offline with telltale verify.'],
];

export async function mount(main) {
  put(main,
    h('div.page-head', h('h1', 'Glossary'), h('span.sub', 'The words these pages use.')),
    h('div.card', h('dl.glossary', {id: 'glossary'}, TERMS.map(([term, text]) => [
      h('dt', {id: 'term-' + term.toLowerCase().replace(/[^a-z]+/g, '-')}, term), h('dd', text)]))));
}
