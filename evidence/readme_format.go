package evidence

import "text/template"

// readmeFormat is the last part of README.txt: the bundle's format in
// full, enough to write an independent verifier from it alone (one is kept
// in outsider/verify_bundle.py, and a test runs it on exported bundles).
var readmeFormat = template.Must(template.New("format").Parse(`

THE FORMAT, IN FULL

This part is for writing a verifier of your own; evidence/outsider/
verify_bundle.py in Telltale's source is one, written from this text
alone. Reject a bundle that breaks any rule here. "hex" is lowercase,
"base64" is standard base64 with padding, SHA-256 is FIPS 180-4.

F1. Files. The zip holds files only, each name once, relative, with "/"
   separators, no "..", "\" or empty part. The names a bundle can have:

     README.txt  SHA256SUMS  manifest.json  manifest.sig  log.pub
     checkpoint.txt  checkpoints.jsonl  captures.jsonl  capture.har
     summary.csv  capture-index.json  report.html  figures.csv
     measured.csv  profile.json  licenses.json
     timestamps/<n>.tsr (n decimal)  cosignatures/<n>.txt (v3)
     bodies/<64 hex>  redacted/<64 hex>

   The zip is exactly its entries and central directory: reject one with
   bytes before the first local header or after the end of central
   directory record, an archive comment, a local header whose name is
   not its central directory entry's, or bytes between entries (an entry
   the central directory does not list). Entries tile the file from byte
   0: local header, data, data descriptor, then the next.

   report.html and figures.csv (step 7) are signed like the rest, but
   made by Telltale's analysis with profile.json's rules: they say what
   the analysis made of the proven captures, nothing more (F13).
   "telltale verify" remakes figures.csv and the page's numbers, the
   license position and reconciliation with them (step 7); a verifier
   of its own need not. licenses.json is what the position and the
   reconciliation were worked out from besides the figures (step 7):
   signed, not proven (the export's config and entries).
   measured.csv is the buyer's own measurement, as it was given to the
   export (export --measured): not from the log; manifest.json
   "reconciliation" says how it compared with the reported figures.

   manifest.json "files" lists every file but manifest.json and
   manifest.sig, sorted by name (bytewise), each once, as {"name",
   "sha256" (hex), "size" (bytes)}. Reject a file in the zip that is not
   listed, whatever its name (an added file proves nothing and could
   mislead a reader), a listed file that is missing, and a file whose
   SHA-256 or size is not the listed one. SHA256SUMS is a line
   "<sha256>  <name>" per listed file but itself, in the same order.

   manifest.json's other keys: "format" (telltale-bundle/v4 when its
   checkpoint ends with an index record (F4, F12); else v3 when it
   carries cosignatures (F11), v2; v1 from earlier versions), "tool" and "exported_at" (who made it, when: not
   proven), "selection" (what the export was asked for: "host",
   "endpoint" (F12), "since", "until" (RFC 3339), "ids", "redact",
   "redact_fields", "redact_headers", "pseudonymise"), "log" (F2),
   "checkpoint" (F4), "captures" and "records" (F6), "withheld" (F7),
   "anchors" (F11); in a pseudonymised bundle "pseudonyms": each
   {"pseudonym", "category", "commitment"}, the commitment being the hex
   SHA-256 of a secret 16-byte salt, ns(category) and ns(the identifier)
   (ns as in F6), so that whoever holds the identifier and the salt can
   show which pseudonym stands for it, and nobody else can test a guess;
   with a measurement, "reconciliation": {"measured": {"file"
   (measured.csv), "name" (as it was given), "sha256" (of measured.csv),
   "format", "values"}, "tolerance", "compared", "agreed", "counts" and
   the rows that did not agree}: what the export found, signed, not
   proven (Telltale's analysis made it); "telltale verify" works it
   out again with licenses.json (step 7) and fails on a difference.

F2. The key. log.pub is one line and a newline, a note verifier key
   (golang.org/x/mod/sumdb/note): "<name>+<key id>+<key>", where
     name    the log's origin (manifest.json log.origin): no "+", no space
     key     base64 of 33 bytes: 0x01 (the algorithm, Ed25519), then the
             32-byte Ed25519 public key
     key id  8 hex digits: the first 4 bytes of
             SHA-256(name || 0x0A || the 33 key bytes), big-endian
   The fingerprint (manifest.json log.fingerprint) is "sha256:" and the
   hex SHA-256 of the 33 key bytes. manifest.json log.key and log.pub
   (without its newline) must be exactly the key line you trust.

F3. Signed notes: manifest.sig, checkpoint.txt and each "note" of
   checkpoints.jsonl. A note is its text (lines, each ending in 0x0A),
   one empty line, then signature lines, each
     "— <name> <base64 of the 4-byte key id, then the 64-byte signature>"
   ("—" is U+2014, UTF-8 E2 80 94) ending in 0x0A, the last one too. The
   signature is Ed25519 (RFC 8032) over the text's bytes up to and with
   the newline of its last line. Accept a note only when it has a line
   whose name and key id are the trusted key's and whose signature
   verifies; every other line is by a witness key you chose to trust
   ("telltale verify --witness"); no line is repeated; each base64 is
   canonical (decoded and encoded again it is the same text). A line by
   any other key is a reason to reject, not to ignore.

   manifest.sig's text is exactly two lines:
     telltale bundle manifest
     <hex SHA-256 of manifest.json>  manifest.json

F4. checkpoint.txt's text (C2SP tlog-checkpoint) is 4 or 5 lines:
     <origin>            the key's name
     <tree size>         decimal, no leading zeros
     <root hash>         base64 of 32 bytes
     time <T>            when it was signed, UTC, with nine digits
                         after the point: 2006-01-02T15:04:05.000000000Z
     index-leaf <base64>  the SHA-256 of the text of the index record
                         (F12) that is the tree's last leaf (leaf
                         index tree size - 1): the capture index,
                         logged. Checkpoints signed before the index
                         was a leaf have instead
     index <base64>      the capture index root (F12, v1 and v2), not
                         logged; or, signed before that, no fifth line
   manifest.json "checkpoint" repeats it: "file" (checkpoint.txt),
   "tree_size", "root_hash" and "time", which must be the same.

F5. The tree (RFC 9162, as RFC 6962). leaf hash = SHA-256(0x00 || leaf
   data); node hash = SHA-256(0x01 || left || right). Each record's
   "proof" is its inclusion proof (audit path) for leaf index
   "leaf_index" in the tree of the checkpoint's size, checked as RFC
   9162 2.1.3.2 says (step 4's script). checkpoints.jsonl has one line
   per earlier checkpoint of the log (none when there is none):
     index   the checkpoint's number in the log's list, from 1
     note    its signed note (F3, F4), which must verify with the key
             and name the same origin
     proof   base64 hashes: the consistency proof (RFC 9162 2.1.4.2)
             (in the order the log signed them, oldest first) from its
             tree size to checkpoint.txt's; empty, with equal
             root hashes, when both sizes are equal
   A line of a tree size above checkpoint.txt's, or whose proof fails,
   is a failure: the log forked or the bundle was edited.

F6. Each record, every one of them (captures.jsonl, step 4). Rebuild its
   leaf data from the parts and compare it with "leaf", byte for byte;
   then hash it and check its proof. A record's fields:
     seq         its number in the log, from 1; "leaf_index" is seq - 1,
                 below the checkpoint's tree size
     leaf        the leaf data: the lines of step 4, each ending in 0x0A,
                 decimals without leading zeros, hex lowercase
     proof       F5
     meta        the record as stored (JSON) without its head, and with
                 its body description zeroed:
                 "body":{"sha256":"","size":0,"truncated":false}. Its
                 "seq", "capture" and "kind" are the leaf's. Other keys:
                 time (RFC 3339, UTC), client (ip:port of the proxy's
                 client), host and port (what the client asked for),
                 error; process (on a record that opens a capture,
                 when the client was on the proxy's own host: the
                 program that owned its end of the connection, {pid,
                 name, image, services, user, unknown}, each left out
                 when empty; unknown says why the rest is not known);
                 a response's tls {server_name, version,
                 cipher_suite, alpn, leaf_sha256 (hex SHA-256 of the
                 upstream's certificate, DER)}, timings {start, committed
                 (the request was logged), first_byte, end} and
                 request_body (the final description of a request body
                 longer than the capture limit, whose request record
                 says size -1: {sha256, size, truncated, stored_sha256,
                 stored_size}); a tunnel's or denied record's bytes_up,
                 bytes_down and duration (nanoseconds)
     head        the head, exact JSON: {"method", "url" (absolute),
                 "status", "proto", "headers": [{"name","value"}, ...],
                 "trailers"}, method and url for a request, status for a
                 response. Its SHA-256 is the leaf's head line. Absent
                 when the leaf says "-", or when the head is withheld
     head_redacted  a withheld head with secret values replaced: NOT
                 what was logged, it does not hash to the leaf
     body        "bodies/<the stored line's SHA-256>": the stored bytes,
                 whose SHA-256 and size are the stored line's. Absent
                 when there are none (stored "-") or they are withheld
     body_redacted, body_redacted_decoded  a withheld body's redacted
                 copy, redacted/<its SHA-256>, and the Content-Encoding
                 undone to make it ("" if none): NOT what was logged
     withheld    this record's withheld parts (F7)
   and, for a v2 leaf (step 4), instead of head and head_redacted:
     head_fields the head, field by field; the leaf's head line is
                 rebuilt from their commitments
     seal        {"text", and "salt", "sha256", "size" when the body is
                 shipped} of a sealed body

   body and stored. "body <sha256> <size>" is the whole body as it
   crossed the wire, before any Content-Encoding was undone; "-" when
   the record has no body or its hash is not known (a body longer than
   the capture limit whose end was not read). "stored <sha256> <size>"
   is what Telltale kept: the whole body, or, when the body was longer
   than the capture limit (truncated), its first <size> bytes; "-" when
   nothing was kept. When the two lines differ (or body is "-" and
   stored is not), the record is truncated: bodies/ holds only that
   prefix, proven to be how the body began; what followed is not in the
   bundle, and only the body line's hash, if any, commits to it. A
   response's meta "request_body" describes its request's whole body
   the same way when the request record could not.

   Sealed bodies (v2). The body line is "sealed <SHA-256 of seal.text>"
   and the stored line "sealed". With the body shipped, "body" is
   bodies/<seal.sha256>, whose SHA-256 and size are seal.sha256 and
   seal.size, and seal.text's second line is "body " and the hex
   SHA-256(salt || ns(seal.sha256) || ns(decimal seal.size)). Else
   "body_redacted" is redacted/<SHA-256>, and seal.text's third line
   "copy <SHA-256> <size> <form>" names that file's hash and size.

   A capture is a line {"id", "capture", "records"}; lines by ascending
   id, each capture once; "id" is the opening record's seq, in decimal.
   "records" is the opening record (kind request, tunnel or denied, its
   leaf's capture = its seq) then, for an exchange, its response (kind
   response, capture = the request's seq), if one was logged. manifest
   "captures" and "records" count them. Every bodies/ and redacted/ file
   is some record's "body" or "body_redacted".

F7. Withheld parts. Each entry of a record's "withheld", and of
   manifest.json "withheld" (all records' entries, in order):
     capture, seq  the capture id and the record
     part     "request head", "request body", "response head",
              "response body", or "head"/"body" for a tunnel or denied
     sha256   what the leaf commits to: its head line, or its stored
              line's hash (for a sealed body, the seal's hash)
     reason   "redacted", "pruned" (deleted by retention), or
              "not redactable: <why>" (left out whole)
     fields   the names of the secret fields replaced: for a v2 head,
              each withheld field as "<kind> <name>" ("<kind>" when it
              has no name, "query <name>" for a query pair), in order;
              for a sealed body, the path of each secret line, in order
     copy     redacted/<sha256> of a body's redacted copy
   A withheld head or body is not in "head" or "body"; the leaf line
   comes from "sha256" and is still proven.

F8. The capture views. Each line's "capture" is what "telltale show
   --json" prints, made from the records and nothing else (field order
   does not matter; compare values). With o the opening record, r the
   response, meta and head parsed, and a body description made from the
   leaf: {sha256: body line's hash or "", size: body line's size, or -1
   when body is "-" but stored is not, or 0; truncated; stored_sha256 and
   stored_size when truncated; pruned when withheld "pruned"}:
     id        o's seq, decimal
     time      o's time, UTC, nine fraction digits (as in F4)
     client, host  o's
     process   o's meta's process, when present
     error     o's error, else r's, else ""
     method, url  o's head's, or ""
     status    r's head's status, or 0
     kind      "exchange" (o a request), "tunnel", "denied"
     complete  true, but false for an exchange without r
     leaves    [o's leaf_index] and r's
     request_bytes, response_bytes  exchange: o's body size (r's meta
               request_body's size when o's is -1) and r's body size (0
               without r); tunnel/denied: bytes_up and bytes_down
     duration  tunnel/denied only: Go's time.Duration String
               ("1.5s", "2m3.004s", "0s") of duration
     request   o's head (its head_redacted when withheld) as a message,
               response r's (absent without a head):
               {proto, method, url, status (each left out when empty or
               0), headers, trailers (left out when none), body_sha256,
               body_size, truncated, stored_sha256 (truncated only),
               pruned (only when true)}, from the body description
               (a request's from r's request_body when o's size is -1)
     tls, timings  r's meta's, when present

   A v2 head is made from its fields, in order: method; url, then each
   query value appended after "?" (the first) or "&"; status (decimal);
   proto; each header and trailer as {"name", "value"} ("headers" is
   null when it has none). A withheld field's value shows as
   "[REDACTED]", a query pair's as "<name>=%5BREDACTED%5D". A sealed
   body is described as {sha256: seal.sha256, size: seal.size,
   truncated: false} when the body is shipped, else {sha256: "", size:
   -1, truncated: false}.

F9. summary.csv: CSV (RFC 4180, "\n" line ends) with the header line
   capture,time,kind,client,method,host,path,status,request_bytes,
   response_bytes,request_body_sha256,response_body_sha256,complete,
   error,withheld,leaves
   and a row per capture, in captures.jsonl's order, from its view (F8):
   path is the url's path and query ("/" when the path is empty; the url
   itself when it has no host); the request's and response's body_sha256
   ("" without a message); complete "true"/"false"; withheld "<part>
   (<reason>)" for each withheld entry of its records, joined by "; ";
   leaves the leaf indexes joined by " ". A client, method, host, path or
   error that starts with = + - @, a tab or CR gets a "'" before it (a
   spreadsheet would run it as a formula). "telltale verify" remakes the
   file and compares bytes (a field is quoted only when it holds a comma,
   a double quote, CR or LF, or starts with a space; a quote inside is
   doubled); a verifier of your own may parse both and compare them field
   by field, row by row, as outsider/verify_bundle.py does.

F10. capture.har: HAR 1.2, one entry per exchange (tunnels and denied
   captures are not HTTP and are left out), in captures.jsonl's order:
     _telltaleCapture, _telltaleLeaves  the view's id and leaves
     startedDateTime  o's time, UTC, milliseconds
     request  method, url, httpVersion (proto), headers as in the head,
              queryString (the url's query split at "&" and "=", each
              half percent-decoded), bodySize = request_bytes, postData
              {mimeType: Content-Type, text} unless the body is empty
     response status, statusText, httpVersion, headers, redirectURL
              (Location), bodySize = r's body size, content {size,
              mimeType (Content-Type, or "x-unknown"), text}; without r
              or its head: status 0 and comment "no response recorded"
     timings  send = committed - start, wait = first_byte - committed,
              receive = end - first_byte (milliseconds, from r's meta);
              time = their sum; blocked, dns, connect, ssl -1
     _telltaleProcess  the view's process, when present
     comment  "sent by <P>" when the view has a process, "error: <the
              view's error>" when there is one, joined by "; ". P is
              the name ("unknown" when it has none), then, when any of
              them is present, " (" and "pid <pid>", "service <the
              services joined by ", ">", "user <user>" and unknown,
              joined by ", ", and ")"
   A text is the body file's bytes as UTF-8, or their base64 with
   encoding "base64" when they are not UTF-8 or hold a NUL. A body is
   shown decoded when its head has a Content-Encoding (gzip or x-gzip,
   deflate: zlib or raw, br; "identity" skipped; the last one undone
   first) that decodes (the response content's
   size is then the decoded size), else as sent, with a comment; a
   truncated body is shown as stored, with a comment; a withheld body has
   no text, or its redacted copy's (a sealed body's too), with a comment.
   The entries sit in {"log": {"version": "1.2", "creator", "entries"}}.
   "telltale verify" remakes the file and compares bytes (Go's
   encoding/json, compact); a verifier of your own may parse it
   and compare each entry's fields above with the ones it makes, as
   outsider/verify_bundle.py does, and ignore whitespace and key order.

F11. Timestamps. manifest.json "anchors" lists each {"kind": "rfc3161",
   "checkpoint" (its number), "note" (checkpoint.txt, or
   checkpoints.jsonl: the "note" of its line with that index), "file"
   (timestamps/<checkpoint>.tsr)}. A .tsr is a DER TimeStampResp (RFC
   3161): status (granted, 0, or grantedWithMods, 1) and a CMS
   SignedData whose eContent is a TSTInfo; its messageImprint must be
   SHA-256 (OID 2.16.840.1.101.3.4.2.1) of the whole signed note, as
   stored. A few lines of DER walking check the imprint and read genTime;
   the TSA's CMS signature and certificate chain need "openssl ts
   -verify -in <file> -data <note> -CAfile <the TSA's CA>" or "telltale
   verify --tsa-ca". Reject a genTime more than the lag you allow
   (telltale verify --max-lag, 10 minutes by default) after or before the
   time the note's "time" line claims.

   In a v3 bundle "anchors" also lists {"kind": "cosignature/v1",
   "checkpoint", "note" (as above), "file" (cosignatures/<checkpoint>
   .txt)}. The file is one or more note signature lines, each
   "— <witness name> <base64>\n" (U+2014, a space, the name, a space),
   the base64 of 4 bytes of key hash, 8 bytes of big-endian Unix time
   and a 64-byte Ed25519 signature. With a witness's verifier key
   "<name>+<hash hex>+<base64 of 0x04 and its 32-byte public key>", a
   line by it (same name, key hash the first 4 bytes of SHA-256 of
   "<name>\n", 0x04 and the key) verifies when the Ed25519 signature is
   over "cosignature/v1\ntime <that time, decimal>\n" followed by the
   note's text (up to and including the newline before its blank line).
   Lines by witnesses you do not know prove nothing.

   No two checkpoints of one tree size (checkpoint.txt, the lines of
   checkpoints.jsonl, the ones you kept) may differ in any line: the key
   signed two statements of one tree.

F12. capture-index.json, in every bundle whose checkpoint has an
   index-leaf line, and in every bundle whose checkpoint has an index
   line but one selected by capture ids: {"format": "telltale-index/v3"
   for an index-leaf line, else "telltale-index/v2" (or
   "telltale-index/v1" from an older checkpoint: hosts only),
   "tree_size" (the checkpoint's), "root" (base64: the checkpoint's
   index-leaf or index line), "indexed" (v3: the index covers records 1
   to indexed), "records" (v3, below), "hosts": by host (bytewise), every host of the tree: {"host"
   (lowercase, "" for records without one), "count", "hash" (hex), and
   for every host the selection covers, "seqs" and "times": its
   captures' opening seq and time (unix nanoseconds), by seq},
   "endpoints" (v2 only): by endpoint (bytewise), every endpoint of the
   tree: {"endpoint", "count", "hash", and for the selection's endpoint
   "seqs" and "times"}}. An endpoint is a request record's method, a
   space, and its URL without scheme and query, the host[:port] in
   lowercase ("POST cis.citrix.com/api/upload"; bytes below 0x20 and
   0x7f as %XX); tunnels and denied records have none.

     hash    v3: the list root, hex: the RFC 9162 tree hash (F5) of the
             captures by seq, leaf i being "<seq> <time>\n"
             v1, v2: SHA-256 of "telltale-host-index/v1\nhost <host>\n" (or
             "telltale-endpoint-index/v1\nendpoint <endpoint>\n") and one
             line "<seq> <time>\n" per capture, by seq
     root    v3: SHA-256 of the index text, "telltale-index/v3\n",
             "size <indexed>\n", one line "host <count> <hash> <host>\n"
             per host, by host, then one "endpoint <count> <hash>
             <endpoint>\n" per endpoint
             v2: SHA-256 of "telltale-index/v2\n", one line
             "host <count> <hash> <host>\n" per host, by host, then one
             "endpoint <count> <hash> <endpoint>\n" per endpoint
             v1: SHA-256 of "telltale-index/v1\n" and one line
             "<count> <hash> <host>\n" per host, by host

   v3 "records" are every index record of the log up to the
   checkpoint, by seq, each {"seq", "leaf" (its leaf data, F6: kind
   "index", capture its seq, head "-", body and stored "<hex SHA-256 of
   text> <length of text>"), "proof" (its inclusion proof at leaf index
   seq - 1, F5), "meta" (the JSON whose SHA-256 is the leaf's meta line,
   with "seq" and "kind" "index"), "text" (its index text, as root
   above, "size" below its seq)}. The last is the checkpoint's own: its
   seq is the tree size and its text is the one this file's lines make.
   Each record's size is at least the one before it. Each checkpoint
   with an index-leaf line (checkpoint.txt, checkpoints.jsonl, the ones
   you kept) names a record here at its tree size whose text hashes to
   that line, and a checkpoint without one may not sign a larger tree
   than one with one. For each host or endpoint with "seqs", and each
   earlier record that lists it with count c and hash h: c is at most
   the length of seqs, the tree hash of the first c captures is h, and
   every later capture's seq is above that record's size: a capture
   once listed never leaves its list.

   A selection covers its --host, or its --endpoint, or every host when
   it selects by time or not at all; a selection by capture ids covers
   none, and proves nothing about completeness; an --endpoint selection
   under a v1 index proves nothing either. For each covered host or
   endpoint, the captures in seqs whose time is in the selection's range
   [since, until) are exactly its captures in captures.jsonl, with those
   times (their opening record's time in unix nanoseconds); under v3,
   of its captures with a seq up to "indexed" (later ones, logged
   while the index was made, are not covered).

F13. What a bundle does not prove. That the key is the log's: only you
   can tell (F2). Anything after checkpoint.txt's time. Traffic that did
   not pass through Telltale. The clock: times are the proxy's, except a
   TSA's time for a timestamped checkpoint. The rest of a truncated
   body, or a withheld part's content (only its commitment is proven).
   That the log was not rebuilt and re-signed by the key's holder, unless
   a checkpoint you kept, or an outside timestamp, pins it. And for a
   filtered bundle (--host, --since, --until, ids): nothing about the
   captures it leaves out but the signed index's counts and hashes; that
   the first index itself is complete (it is signed by the same key; the
   whole-log "telltale verify" recomputes it); that the key holder did
   not rebuild the log with other index records, unless a timestamp,
   a witness's cosignature or a checkpoint you kept pins an earlier one
   (an index record's lists must then extend it); completeness at all
   for a selection by ids or a checkpoint without an index line.
`))
