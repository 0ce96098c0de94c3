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
  Anchors      {{if .Anchors}}{{len .Anchors}} RFC 3161 timestamps (timestamps/){{else}}none: the checkpoints are signed by the log key only{{end}}

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

{{if .Anchors}}3a. Timestamps. Whoever holds the log key could rebuild the log and sign
   new checkpoints; a timestamp from a time-stamping authority (RFC 3161)
   shows that a checkpoint existed by the TSA's time, which the key holder
   cannot change afterwards. Each timestamps/<n>.tsr is a time-stamp
   response over the SHA-256 of checkpoint n's signed note, the whole
   file as stored:
{{range .Anchors}}
     {{.File}}  checkpoint {{.Checkpoint}}, note in {{.Note}}{{end}}

   The bundle does not say whom to trust for time: get the TSA's CA
   certificate from its operator (tsa-ca.pem) and, for checkpoint.txt,

     openssl ts -verify -in {{with (index .Anchors (len .Anchors | dec))}}{{.File}}{{end}} -data checkpoint.txt -CAfile tsa-ca.pem
     openssl ts -reply -in {{with (index .Anchors (len .Anchors | dec))}}{{.File}}{{end}} -text

   "telltale verify THIS-BUNDLE.zip --tsa-ca tsa-ca.pem" checks them all;
   without --tsa-ca it checks each signature against the certificate the
   timestamp carries and says the TSA is not trusted.

{{end}}{{if or .Selection.Host .Selection.Since .Selection.Until}}3b. Completeness of the selection. This bundle holds only the captures{{if .Selection.Host}}
   of host {{.Selection.Host}}{{end}}{{if .Selection.Since}} from {{.Selection.Since}}{{end}}{{if .Selection.Until}} until {{.Selection.Until}}{{end}}.
   A checkpoint with an "index <base64>" line signs the capture index of
   the whole tree: for every host, how many captures it holds and the
   SHA-256 of their numbers and times:

     host hash  SHA-256 of "telltale-host-index/v1\nhost <host>\n" and one
                line "<seq> <unix nanoseconds>\n" per capture, by seq
     index      SHA-256 of "telltale-index/v1\n" and one line
                "<count> <host hash, hex> <host>\n" per host, by host

   capture-index.json holds every host's line, and the full list of the
   hosts this selection covers. Proven: every capture of the selection
   that the checkpointed tree holds is in this bundle; none was left out
   by whoever exported it. Not proven: that the index itself left no
   capture out. It is signed by the same key as the tree, and its holder
   could sign an index that omits one; "telltale verify" on the whole
   log recomputes the index from the records and would show it. Not
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
  ci, cp = json.load(open('capture-index.json')), open('checkpoint.txt').read().split('\n')
  lines = ['telltale-index/v1']
  for h in ci['hosts']:
      if 'seqs' in h:
          t = 'telltale-host-index/v1\nhost %s\n' % h['host'] + ''.join('%d %d\n' % sn for sn in zip(h['seqs'], h['times']))
          assert hashlib.sha256(t.encode()).hexdigest() == h['hash'] and len(h['seqs']) == h['count'], h['host']
      lines.append('%d %s %s' % (h['count'], h['hash'], h['host']))
  root = base64.b64encode(hashlib.sha256(('\n'.join(lines) + '\n').encode()).digest()).decode()
  assert cp[4] == 'index ' + root, 'the index is not the one the checkpoint signs'
  sel = json.load(open('manifest.json'))['selection']
  host, lo, hi = sel.get('host', '').lower(), ns(sel.get('since')), ns(sel.get('until'))
  want = set(s for h in ci['hosts'] if not host or h['host'] == host
             for s, n in zip(h['seqs'], h['times']) if (lo is None or n >= lo) and (hi is None or n < hi))
  have = set(int(json.loads(l)['id']) for l in open('captures.jsonl'))
  assert want <= have, 'left out: %s' % sorted(want - have)
  print('%d captures of the selection in the signed index, all in this bundle' % len(want))
  EOF

{{end}}4. Each record. captures.jsonl has one capture per line: "capture" is the
   capture as "telltale show --json" prints it, "records" its records (a
   request and its response, or one tunnel or denied record). Per record:

     leaf    the data of its leaf in the log:
               telltale-leaf/v1
               seq <record number, from 1>
               capture <capture id>
               kind <request, response, tunnel or denied>
               meta <SHA-256 of "meta">
               head <SHA-256 of "head", or - when it has none>
               body <SHA-256 and size of the whole wire body, or ->
               stored <SHA-256 and size of the bytes stored, or ->
     meta    the record without head and body: exact JSON
     head    the request or response head: exact JSON
     body    bodies/<SHA-256>: the stored bytes, exactly as on the wire
     proof   the Merkle audit path from the leaf up to the checkpoint's root

   Each bodies/ file is named by its SHA-256; the first meta and head
   hash to the first leaf's meta and head lines:

  $ for f in bodies/*; do [ -e "$f" ] || continue; [ "$(sha256sum < "$f" | cut -c1-64)" = "${f#bodies/}" ] || echo "BAD $f"; done | { ! grep .; }
  $ head -n1 captures.jsonl | jq -j '.records[0].meta' | sha256sum
  $ head -n1 captures.jsonl | jq -r '.records[0].leaf' | grep '^meta '

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
   in its record) is not in the bundle as logged: a redacted head or body
   ("redacted": secret values were replaced; "head_redacted" or the
   redacted/ file is that copy, which does NOT hash to the leaf), a body
   deleted by retention ("pruned"), or a body that could not be redacted
   and is left out whole. The leaf still commits to the part by its
   SHA-256, so whoever holds the original can prove it is the one logged.
   Note that anyone can test a guess of a withheld value against that
   hash: a short or guessable secret is not hidden by it.

6. The other views. capture.har (HAR 1.2: open it in Chrome DevTools,
   Network tab, or Fiddler) and summary.csv (one row per capture; a value
   that a spreadsheet would run as a formula starts with ') are made from
   the same records; "telltale verify" remakes both and compares bytes.
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
