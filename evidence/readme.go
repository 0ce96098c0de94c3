package evidence

import (
	"bytes"
	"text/template"
)

// readmeText is README.txt. Every line that starts with "  $ " is a
// command that works in the unzipped bundle (a test runs them); a command
// ending in <<'EOF' takes the indented lines up to "  EOF".
var readmeText = template.Must(template.New("README.txt").Funcs(template.FuncMap{
	"dec": func(n int) int { return n - 1 },
}).Parse(`Telltale evidence bundle
========================

This bundle holds captures of what a license server sent to its vendor,
and what it got back, exported from Telltale's tamper-evident log, with
the proofs that each capture is in that log exactly as it was signed.

  Log          {{.Log.Origin}}
  Key          {{.Log.Key}}
  Fingerprint  {{.Log.Fingerprint}}
  Checkpoint   tree size {{.Checkpoint.TreeSize}}, root hash {{.Checkpoint.RootHash}}, signed {{.Checkpoint.Time}}
  Exported     {{.ExportedAt}} by {{.Tool}}
  Captures     {{.Captures}} ({{.Records}} records){{if .Selection.Redact}}, redacted: see "withheld" in manifest.json{{end}}
  Anchors      {{if .Timestamps}}{{len .Timestamps}} RFC 3161 timestamps (timestamps/){{else}}none: the checkpoints are signed by the log key only{{end}}{{if .Cosignatures}}
  Witnesses    cosignatures of {{len .Cosignatures}} checkpoints (cosignatures/){{end}}

The log is a Merkle tree (RFC 6962, as in Certificate Transparency): every
record Telltale made is one leaf, appended before the request was
forwarded. The key signs checkpoints of the tree (its size and root hash);
the server logs each one as it signs it, so that copies exist outside the
machine. A capture whose leaf is proven to be under a signed root cannot
have been changed, added or removed since, by anyone, without the change
showing. Trust the key only if it is the one you recorded (compare the
fingerprint) or the one your counterpart gave you.


CHECK WITH TELLTALE

  telltale verify THIS-BUNDLE.zip --key "<the log.pub line you recorded>"
  telltale verify THIS-BUNDLE.zip --key log.pub --earlier KEPT-CHECKPOINT.txt

It checks every file, both signatures, every inclusion proof and body
hash, that each earlier checkpoint in checkpoints.jsonl is extended by this
one, and that capture.har, summary.csv and the capture views say exactly
what the proven records say. Exit 0 means all of it holds. Without --key
it fails: the key inside the bundle proves only that the bundle agrees
with itself. --earlier proves that this log extends a checkpoint you kept
(one whose tree size is in checkpoints.jsonl), or prints FORKED: the key
signed two different histories.


CHECK BY HAND

With sha256sum, awk, base64, openssl 3, jq and python3, in the unzipped
bundle (Linux, macOS, or Git Bash / WSL on Windows).

1. Every file. SHA256SUMS lists every file but itself, manifest.json and
   manifest.sig; manifest.json lists every file but itself and
   manifest.sig, with the same hashes.

  $ sha256sum -c --quiet SHA256SUMS

2. The manifest's signature. manifest.sig is a signed note
   (https://c2sp.org/signed-note): text, a blank line, then a line
   "— <key name> <base64>". Its second line is manifest.json's SHA-256 in
   sha256sum's format. The signature is Ed25519 over the text (every line
   before the blank line, each with its newline); the base64 holds a
   4-byte key id, then the 64-byte signature. log.pub is
   <name>+<key id>+<base64 of 0x01 and the 32-byte public key>; F2 and
   F3 below say how the key id is made and which lines to reject.

  $ awk 'NR==2' manifest.sig | sha256sum -c --quiet
  $ { printf '\060\052\060\005\006\003\053\145\160\003\041\000'; cut -d+ -f3- log.pub | base64 -d | tail -c 32; } > log.der
  $ openssl pkey -pubin -inform DER -in log.der -out log.pem
  $ awk '/^$/{exit} {print}' manifest.sig > manifest.text && awk '/^— /{print $3}' manifest.sig | base64 -d | tail -c 64 > manifest.bin
  $ openssl pkeyutl -verify -pubin -inkey log.pem -rawin -in manifest.text -sigfile manifest.bin
  $ cut -d+ -f3- log.pub | base64 -d | sha256sum

   The last line is the key's fingerprint; compare it with the one you
   recorded.

3. The checkpoint. checkpoint.txt is a signed note of the same kind, in
   the C2SP tlog-checkpoint form (https://c2sp.org/tlog-checkpoint):

     <origin, the key's name>
     <tree size: how many records the log held>
     <root hash of their Merkle tree, base64>
     time <when it was signed, UTC>

  $ awk '/^$/{exit} {print}' checkpoint.txt > checkpoint.text && awk '/^— /{print $3}' checkpoint.txt | base64 -d | tail -c 64 > checkpoint.bin
  $ openssl pkeyutl -verify -pubin -inkey log.pem -rawin -in checkpoint.text -sigfile checkpoint.bin

   If you kept an earlier checkpoint of this log (from the server's log, a
   ticket or an e-mail), find one of its tree size in checkpoints.jsonl
   ("note"): its "proof" shows this checkpoint's tree extends that tree
   (RFC 9162 2.1.4). If the root hash in yours is not the one there, while
   both are signed by the key, the log was rewritten: it FORKED.

{{if .Timestamps}}3a. Timestamps. Whoever holds the log key could rebuild the log and sign
   new checkpoints; a timestamp from a time-stamping authority (RFC 3161)
   shows that a checkpoint existed by the TSA's time, which the key holder
   cannot change afterwards. Each timestamps/<n>.tsr is a time-stamp
   response over the SHA-256 of checkpoint n's signed note, the whole
   file as stored:
{{range .Timestamps}}
     {{.File}}  checkpoint {{.Checkpoint}}, note in {{.Note}}{{end}}

   The bundle does not say whom to trust for time: get the TSA's CA
   certificate from its operator (tsa-ca.pem) and, for checkpoint.txt,

     openssl ts -verify -in {{with (index .Timestamps (len .Timestamps | dec))}}{{.File}}{{end}} -data checkpoint.txt -CAfile tsa-ca.pem
     openssl ts -reply -in {{with (index .Timestamps (len .Timestamps | dec))}}{{.File}}{{end}} -text

   "telltale verify THIS-BUNDLE.zip --tsa-ca tsa-ca.pem" checks them all;
   without --tsa-ca it checks each signature against the certificate the
   timestamp carries and says the TSA is not trusted. A timestamp proves
   the checkpoint existed no later than the TSA's time (genTime), not at
   the time its "time" line claims: verify fails one made more than
   --max-lag (10 minutes by default) after or before that time, as the
   checkpoint may have been signed then over a rewritten log.

{{end}}{{if .Cosignatures}}3c. Witnesses. A witness (C2SP tlog-witness) cosigns a checkpoint only
   after checking a consistency proof that it extends the last checkpoint
   of this log the witness cosigned: a log rewritten after a witness saw
   it gets no cosignature from it. cosignatures/<n>.txt holds the
   witnesses' signature lines for checkpoint n (c2sp.org/tlog-cosignature,
   cosignature/v1):
{{range .Cosignatures}}
     {{.File}}  checkpoint {{.Checkpoint}}, note in {{.Note}}{{end}}

   Get each witness's verifier key from its operator, not from here, and
   run "telltale verify THIS-BUNDLE.zip --key KEY --witness WITNESS-KEY":
   it says how many of the witnesses you named vouch for each checkpoint,
   and fails when none vouches for any.

{{end}}{{if or .Selection.Host .Selection.Endpoint .Selection.Since .Selection.Until}}3b. Completeness of the selection. This bundle holds only the captures{{if .Selection.Host}}
   of host {{.Selection.Host}}{{end}}{{if .Selection.Endpoint}}
   of endpoint {{.Selection.Endpoint}}{{end}}{{if .Selection.Since}} from {{.Selection.Since}}{{end}}{{if .Selection.Until}} until {{.Selection.Until}}{{end}}.
   A checkpoint with an "index-leaf <base64>" line ends with an index
   record: the capture index is a leaf of the log itself, so the tree,
   every consistency proof, timestamp and witness covers it. Its text is

     telltale-index/v3
     size <N>                                    it indexes records 1 to N
     host <count> <list root, hex> <host>        per host, by host (bytes)
     endpoint <count> <list root, hex> <endpoint>  per endpoint, by endpoint

   where a list root is the RFC 6962 Merkle tree hash of the list's
   captures by seq, leaf i being "<seq> <unix nanoseconds>\n" (hashed as
   SHA-256(0x00 || leaf)). The line signs the SHA-256 of the text, base64.
   capture-index.json carries it as "indexed" and the lines, and in
   "records" every index record of the log up to the checkpoint, by seq
   (seq, leaf, proof: its inclusion proof at leaf index seq-1 against the
   checkpoint, meta: the JSON its leaf's meta line hashes, text: its
   body; the leaf's kind is "index", its body and stored lines
   "<SHA-256 of text, hex> <length>"); the last is the checkpoint's own
   (its seq is the tree size). Each earlier index's list of a selected
   host or endpoint (count c, root r) must be the first c captures of the
   full list here (root r), and every later capture of it must have a
   seq above that index's N: a capture once listed never leaves its list.
   An older checkpoint's "index <base64>" line signs the capture index of
   the whole tree instead, not logged: for every host and endpoint, how
   many captures it holds and the SHA-256 of their numbers and times:

     host hash  SHA-256 of "telltale-host-index/v1\nhost <host>\n" and one
                line "<seq> <unix nanoseconds>\n" per capture, by seq
     endpoint   the same, of "telltale-endpoint-index/v1\nendpoint
     hash       <endpoint>\n" and the endpoint's requests
     index      SHA-256 of "telltale-index/v2\n", one line
                "host <count> <host hash, hex> <host>\n" per host, by host,
                then one "endpoint <count> <endpoint hash, hex> <endpoint>\n"
                per endpoint, by endpoint (an older "telltale-index/v1"
                index has lines "<count> <host hash, hex> <host>\n" only)

{{if .Selection.Endpoint}}   An endpoint is a request's method, a space, its URL's host[:port] in
   lowercase and its path, without scheme or query. Tunnels and denied
   connections have none: they are in their host's list only. For this
   selection capture-index.json lists the endpoint's captures in full
   (and no host's). It proves and leaves unproven what it does for a
   host, below: the index is as honest as the key holder, and "telltale
   verify" on the whole log recomputes it from each request's method and
   URL. A "telltale-index/v1" index (an older checkpoint) has no
   endpoint lines and proves nothing about an endpoint.

{{end}}   capture-index.json holds every host's line, and the full list of the
   hosts this selection covers. Proven: every capture of the selection
   that the indexed records hold is in this bundle; none was left out
   by whoever exported it. With an index leaf, the index cannot be
   rewritten without rewriting the log: a timestamp, a witness's
   cosignature or a checkpoint you kept of an earlier tree shows it, and
   a capture an earlier index record listed cannot leave a later one.
   Not proven: that the first index left no capture out (its signer
   could omit one); "telltale verify" on the whole log recomputes every
   index from the records and would show it. Not
   covered either: captures logged after this checkpoint, traffic that
   never went through Telltale, and the clock: times are the proxy's.
   Without an index line (an older checkpoint) nothing proves the
   selection complete. This checks it by hand:

  $ python3 - <<'EOF'
  import base64, calendar, hashlib, json, time
  def ns(s):
      if not s: return None
      main, frac = s.rstrip('Z').split('.')
      return calendar.timegm(time.strptime(main, '%Y-%m-%dT%H:%M:%S')) * 10**9 + int(frac)
  def mth(hs):
      k = 1
      while k * 2 < len(hs): k *= 2
      return hs[0] if len(hs) == 1 else hashlib.sha256(b'\1' + mth(hs[:k]) + mth(hs[k:])).digest()
  ci, cp = json.load(open('capture-index.json')), open('checkpoint.txt').read().split('\n')
  v3 = ci['format'] == 'telltale-index/v3'
  lines = [ci['format']] + (['size %d' % ci['indexed']] if v3 else [])
  for kind in ('host', 'endpoint'):
      for h in ci.get(kind + 's', []):
          if 'seqs' in h:
              t = 'telltale-%s-index/v1\n%s %s\n' % (kind, kind, h[kind]) + ''.join('%d %d\n' % sn for sn in zip(h['seqs'], h['times']))
              got = mth([hashlib.sha256(b'\0' + ('%d %d\n' % sn).encode()).digest() for sn in zip(h['seqs'], h['times'])]).hex() if v3 else hashlib.sha256(t.encode()).hexdigest()
              assert got == h['hash'] and len(h['seqs']) == h['count'], h[kind]
          lines.append((kind + ' ' if ci['format'] != 'telltale-index/v1' else '') + '%d %s %s' % (h['count'], h['hash'], h[kind]))
  text = '\n'.join(lines) + '\n'
  root = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
  assert cp[4] == ('index-leaf ' if v3 else 'index ') + root, 'the index is not the one the checkpoint signs'
  assert not v3 or ci['records'][-1]['text'] == text, 'the index record is not this index'
  sel = json.load(open('manifest.json'))['selection']
  host, ep, lo, hi = sel.get('host', '').lower(), sel.get('endpoint'), ns(sel.get('since')), ns(sel.get('until'))
  lists = [e for e in ci.get('endpoints', []) if e['endpoint'] == ep] if ep else [h for h in ci['hosts'] if not host or h['host'] == host]
  want = set(s for h in lists for s, n in zip(h['seqs'], h['times']) if (lo is None or n >= lo) and (hi is None or n < hi))
  have = set(int(json.loads(l)['id']) for l in open('captures.jsonl'))
  assert want <= have, 'left out: %s' % sorted(want - have)
  print('%d captures of the selection in the signed index, all in this bundle' % len(want))
  EOF

{{end}}4. Each record. captures.jsonl has one capture per line: "capture" is the
   capture as "telltale show --json" prints it, "records" its records (a
   request and its response, or one tunnel or denied record). Per record:

     leaf    the data of its leaf in the log, each line ending in a
             newline, numbers in decimal, hex in lowercase:
               telltale-leaf/v2           (or telltale-leaf/v1: see below)
               seq <record number, from 1>
               capture <capture id>
               kind <request, response, tunnel or denied>
               meta <SHA-256 of "meta">
               head <commitment to the head (v2) or SHA-256 of "head"
                    (v1); - when it has none>
               body <SHA-256 and size of the whole wire body, or -,
                    or "sealed <SHA-256 of the seal's text>" (v2)>
               stored <SHA-256 and size of the bytes stored, or -,
                    or "sealed" when the body line is>
     meta    the record without head and body: exact JSON
     head_fields  (v2) the head, one field at a time (below)
     head    (v1) the request or response head: exact JSON
     body    bodies/<SHA-256>: the stored bytes, exactly as on the wire
     seal    (v2, a body that held secrets when it was logged) below
     proof   the Merkle audit path from the leaf up to the checkpoint's root

   v2 heads. A v2 leaf commits to each field of the head on its own, so
   that a secret field can be withheld while every other one is proven.
   "head_fields" lists them in order: the method; the URL up to its first
   "?" (kind "url"), then each "&"-separated pair after it as sent (kind
   "query", name = the part before "="); the status; the proto; each
   header; each trailer. A field shipped in clear has "kind", "name"
   (headers, trailers, query pairs), "value" and "salt" (16 bytes, hex);
   its commitment is

     SHA-256(salt || ns(kind) || ns(name) || ns(value))

   where ns(s) is the netstring of s's UTF-8 bytes: its length in
   decimal, ":", the bytes, "," (ns("") is "0:,"). A withheld field has
   only "kind", "name" and "commitment": its value, its salt and so its
   length are not in the bundle, and without the salt a guess of the
   value cannot be tested. The leaf's head line is the SHA-256 of every
   commitment, in order, each as 64 hex digits and a newline.

   v2 seals. When Telltale logged a body it looked for secrets in it (the
   redact_fields of its config, in JSON, forms, XML, and inside gzip,
   zip, tar, multipart, base64 and JSON held in a string). A body that
   held some is sealed: the leaf's body line is "sealed <SHA-256 of the
   seal's text>", and "seal" holds "text":

     telltale-seal/v2
     body <SHA-256(salt || ns(hex SHA-256 of the body) || ns(its size))>
     copy <SHA-256 of the redacted copy> <its size> <body or fields>
     secret <SHA-256(salt_i || ns(path_i) || ns(value_i))> <path_i, JSON>
     ...one secret line per secret

   The copy is the body with each secret replaced by "[REDACTED]" and its
   Content-Encoding undone ("body"), or, where secrets sat in a layer
   that cannot be edited in place, a JSON listing of every decoded field
   with each secret value replaced ("fields": {"format":
   "telltale-redacted-fields/v1", "fields": [{"path", "type", "value"},
   ...]}). path_i is where the secret was ("$.clientSecret",
   "config.zip/settings.json:$.password", "form:password"); value_i is
   its value as text (a string's characters, a number as written).

   A bundle with the body opens the body line: "seal" then has "salt",
   "sha256" and "size". A redacted bundle ships the copy as
   redacted/<SHA-256> instead: it is the very copy logged with the
   record, so every field in it but the secrets is proven, and neither
   the body's hash nor its size is in the bundle (nor the record's
   Content-Length header, withheld like a secret header).

   v1 leaves were written by earlier versions of Telltale (a store keeps
   them; its new records get v2): their head line is the SHA-256 of "head", and a
   redacted v1 head or body ships as an unproven copy ("head_redacted",
   redacted/), whose secrets a guess can be tested against.

   Each bodies/ file is named by its SHA-256; the first meta and head
   hash to the first leaf's meta and head lines:

  $ for f in bodies/*; do [ -e "$f" ] || continue; [ "$(sha256sum < "$f" | cut -c1-64)" = "${f#bodies/}" ] || echo "BAD $f"; done | { ! grep .; }
  $ head -n1 captures.jsonl | jq -j '.records[0].meta' | sha256sum
  $ head -n1 captures.jsonl | jq -r '.records[0].leaf' | grep '^meta '

   This recomputes every v2 head from its fields and checks every seal,
   with its body or its redacted copy, against the leaf:

  $ python3 - <<'EOF'
  import hashlib, json
  sha = lambda b: hashlib.sha256(b).hexdigest()
  ns = lambda b: b'%d:%s,' % (len(b), b)
  heads = seals = 0
  for line in open('captures.jsonl'):
      for r in json.loads(line)['records']:
          leaf = dict(l.split(' ', 1) for l in r['leaf'].split('\n')[1:-1])
          if not r['leaf'].startswith('telltale-leaf/v2\n'):
              continue
          if 'head_fields' in r:
              cs = [sha(bytes.fromhex(f['salt']) + ns(f['kind'].encode()) + ns(f.get('name', '').encode())
                        + ns(f['value'].encode())) if 'value' in f else f['commitment'] for f in r['head_fields']]
              assert sha(''.join(c + '\n' for c in cs).encode()) == leaf['head'], 'head of record %d' % r['seq']
              heads += 1
          if leaf['body'].startswith('sealed '):
              s = r['seal']
              assert sha(s['text'].encode()) == leaf['body'][7:], 'seal of record %d' % r['seq']
              seal = s['text'].split('\n')
              if 'salt' in s:
                  b = open(r['body'], 'rb').read()
                  assert sha(b) == s['sha256'] and len(b) == s['size'], 'body of record %d' % r['seq']
                  opened = bytes.fromhex(s['salt']) + ns(s['sha256'].encode()) + ns(str(s['size']).encode())
                  assert 'body ' + sha(opened) == seal[1], 'body commitment of record %d' % r['seq']
              elif 'body_redacted' in r:
                  c, (_, h, n, form) = open(r['body_redacted'], 'rb').read(), seal[2].split(' ')
                  assert sha(c) == h and len(c) == int(n), 'redacted copy of record %d' % r['seq']
              seals += 1
  print('%d v2 heads and %d sealed bodies match their leaves' % (heads, seals))
  EOF

   A leaf hash is SHA-256(0x00 || leaf); an inner node is
   SHA-256(0x01 || left || right). This checks every proof against the
   checkpoint's root (RFC 9162 2.1.3.2) and prints how many it checked:

  $ python3 - <<'EOF'
  import base64, hashlib, json
  sha = lambda b: hashlib.sha256(b).digest()
  cp = open('checkpoint.txt').read().split('\n')
  size, root, n = int(cp[1]), base64.b64decode(cp[2]), 0
  for line in open('captures.jsonl'):
      for r in json.loads(line)['records']:
          fn, sn, node = r['leaf_index'], size - 1, sha(b'\0' + r['leaf'].encode())
          for p in map(base64.b64decode, r['proof']):
              assert sn > 0, 'proof too long for record %d' % r['seq']
              if fn % 2 == 1 or fn == sn:
                  node = sha(b'\1' + p + node)
                  while fn % 2 == 0 and fn != 0:
                      fn, sn = fn >> 1, sn >> 1
              else:
                  node = sha(b'\1' + node + p)
              fn, sn = fn >> 1, sn >> 1
          assert sn == 0 and node == root, 'record %d is not under the root' % r['seq']
          n += 1
  print('%d records proven under root %s' % (n, cp[2]))
  EOF

5. Withheld parts. A part listed under "withheld" in manifest.json (and
   in its record) is not in the bundle whole: a v2 head with secret
   fields ("redacted"; "fields" names them, everything else is proven as
   in step 4), a sealed body shipped as its redacted copy ("redacted";
   "fields" are the seal's secret paths, "sha256" the seal's hash), a
   body deleted by retention ("pruned"), or a body that could not be
   redacted and is left out whole. A v1 head or body listed "redacted"
   ships as a copy ("head_redacted", redacted/) that does NOT hash to the
   leaf, and anyone can test a guess of a withheld v1 value against the
   leaf's hash. Whoever holds the original can prove it is the one
   logged: a field's or secret's value and salt give its commitment.

6. The other views. capture.har (HAR 1.2: open it in Chrome DevTools,
   Network tab, or Fiddler) and summary.csv (one row per capture; a value
   that a spreadsheet would run as a formula starts with ') are made from
   the same records; "telltale verify" remakes both and compares bytes.

7. The report. report.html is a printable page on these captures (what
   was sent per endpoint, the figures per day with charts, the personal
   data, the checkpoint and how to verify), and figures.csv holds every
   figure they reported. Both are listed and signed like every other
   file, and Telltale's analysis makes them with the rules in
   profile.json (the config's inspect section, as JSON). "telltale
   verify" makes figures.csv again: it analyses the proven exchanges
   (each capture view's request and response, with its body file) with
   profile.json's rules, writes their figures (by reported time, then
   capture id), and fails when they differ from figures.csv by a byte.
   It does so when no body is withheld (a redacted or pseudonymised body
   would give other figures), and says so otherwise. report.html keeps
   its numbers as JSON in <pre hidden id="telltale-derived"> (HTML-
   escaped): "format" (telltale-derived/v1), "captures", "figures" (the
   rows of figures.csv) and "figures_sha256" (its SHA-256, hex), and
   "personal" {"counts" (distinct identifiers, by category, people,
   devices, addresses), "fields" (each field that carried personal data:
   category, endpoint, path, captures), "unreadable"}. "telltale verify"
   makes them again from the same analysis and fails on a difference.
   The block also holds "position" (the license position the page opens
   with: "from", "to", "latest" usage day, and per license its code and
   name, "installed" and where from, the entitlement, "overdraft",
   "peak", "today", "measured", "overuse" {"days", "highest", "first",
   "last"}, "counted", "dormant", the daily "series", "projection",
   "status", "missing"; the captures named by id, never by the log's
   numbers) and, with a measurement, "reconciliation" ("tolerance",
   "compared", "agreed", "days", "counts" and every figure-day in
   "rows": date, name, reported, measured, difference, capture, the
   measurement's line, status). They are worked out from the figures
   above and licenses.json, signed: "products", "editions", "models"
   (the license names added to Telltale's built-in catalog), the
   "entitlements" as the export used them (the config's licenses
   section with those entered in the review UI: license, quantity,
   overdraft, end_date), and with a measurement "measured" {"file"
   (measured.csv), "map" (export --map, as given), "known" (the license
   codes the log's figures named, which a Historical Use export's
   license names are matched to), "tolerance" {"abs", "rel"}}. To
   recompute them, "telltale verify" reads measured.csv as "telltale
   reconcile --measured measured.csv --map ..." reads it, with that
   catalog; the position's period runs from the earliest to the latest
   usage day of a *.CountUsedMax figure; an entitlement's quantity
   stands for the installed count; reconciliation compares each
   figure-day (a figure's last report on its UTC day, with overdraft
   figures) with the measurement within the tolerance, as "telltale
   reconcile" does. It fails on any difference from the block. A bundle
   without licenses.json (made before it) says "position not
   recomputed: bundle predates it", and fails if its block holds a
   position.
`))

// readme renders README.txt for a manifest.
func readme(m *Manifest) ([]byte, error) {
	var b bytes.Buffer
	if err := readmeText.Execute(&b, m); err != nil {
		return nil, err
	}
	err := readmeFormat.Execute(&b, m)
	return b.Bytes(), err
}
