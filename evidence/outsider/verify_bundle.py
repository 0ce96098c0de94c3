#!/usr/bin/env python3
"""An independent verifier of Telltale evidence bundles.

Written from the bundle's README.txt alone (its steps and the "format in
full", F1-F13), not from Telltale's Go code, so that a bundle that
passes here passes on what the README promises. Python 3 standard
library plus `cryptography` (Ed25519 only).

    verify_bundle.py BUNDLE.zip --key "<the log.pub line you trust>"

Exit 0 when every check holds, 1 otherwise; it prints what it checked.
RFC 3161 timestamps are checked for their message imprint only (F11):
the TSA's CMS signature needs `openssl ts -verify`. report.html,
figures.csv, profile.json, licenses.json and manifest.json's
reconciliation are checked as signed files, and that they go together
(step 7): remaking the figures, the license position and the
reconciliation needs Telltale's analysis, which `telltale verify` runs.
"""

import argparse
import base64
import calendar
import csv
import gzip
import hashlib
import io
import json
import os
import re
import sys
import time
import zipfile
import zlib
from urllib.parse import unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEX64 = re.compile(r'^[0-9a-f]{64}$')
FIXED = {'README.txt', 'SHA256SUMS', 'manifest.json', 'manifest.sig', 'log.pub',
         'checkpoint.txt', 'checkpoints.jsonl', 'captures.jsonl', 'capture.har',
         'summary.csv', 'capture-index.json', 'report.html', 'figures.csv', 'measured.csv', 'profile.json', 'licenses.json'}
REDACTED = '[REDACTED]'


class Failed(Exception):
    pass


def need(cond, msg, *args):
    if not cond:
        raise Failed(msg % args if args else msg)


def sha(b):
    return hashlib.sha256(b).digest()


def shahex(b):
    return hashlib.sha256(b).hexdigest()


def b64(s):
    raw = base64.b64decode(s, validate=True)
    need(base64.b64encode(raw).decode() == s, 'base64 %r is not canonical', s)
    return raw


def allowed_name(n):
    if n in FIXED:
        return True
    d, _, f = n.partition('/')
    if d in ('bodies', 'redacted'):
        return bool(HEX64.match(f))
    if d == 'cosignatures':
        return re.fullmatch(r'[1-9][0-9]*\.txt', f) is not None
    return d == 'timestamps' and re.fullmatch(r'[1-9][0-9]*\.tsr', f) is not None


# F2: the key.
class Key:
    def __init__(self, line):
        need(line.count('+') >= 2, 'key %r is not name+id+key', line)
        self.line = line
        self.name, self.id, k = line.split('+', 2)
        need(self.name and not re.search(r'[+\s]', self.name), 'bad key name %r', self.name)
        raw = b64(k)
        need(len(raw) == 33 and raw[0] in (1, 4), 'key is not 0x01 (Ed25519) or 0x04 (cosignature/v1) and 32 bytes')
        self.cosigner = raw[0] == 4
        kid = sha(self.name.encode() + b'\n' + raw)[:4]
        need(self.id == kid.hex(), 'key id %s, but SHA-256(name, key) gives %s', self.id, kid.hex())
        self.kid, self.pub = kid, Ed25519PublicKey.from_public_bytes(raw[1:])
        self.fingerprint = 'sha256:' + shahex(raw)


# F3: signed notes. WITNESSES are the keys passed with --witness.
WITNESSES = []


def open_note(msg, key, what):
    text = msg.decode('utf-8')
    i = text.rfind('\n\n')
    need(i >= 0 and text.endswith('\n'), '%s: not a signed note', what)
    body, sigs = text[:i + 1], text[i + 2:-1].split('\n')
    need(len(set(sigs)) == len(sigs), '%s: a signature line is repeated', what)
    good = 0
    for line in sigs:
        need(line.startswith('\u2014 '), '%s: bad signature line %r', what, line)
        name, _, s = line[2:].partition(' ')
        raw = b64(s)
        need(len(raw) == 68, '%s: signature of %d bytes', what, len(raw))
        by = [k for k in [key] + WITNESSES if k.name == name and k.kid == raw[:4] and not k.cosigner]
        need(by, '%s: signed by %s+%s, neither the trusted key nor a witness', what, name, raw[:4].hex())
        try:
            by[0].pub.verify(raw[4:], body.encode())
        except InvalidSignature:
            raise Failed('%s: the signature by %s does not verify' % (what, name))
        good += by[0] is key
    need(good == 1, '%s: %d signatures by the key', what, good)
    return body


# F4.
def parse_checkpoint(body, key, what):
    lines = body.split('\n')
    need(len(lines) in (5, 6) and lines[-1] == '', '%s: want 4 or 5 lines', what)
    need(lines[0] == key.name, '%s: origin %r is not the key name', what, lines[0])
    need(re.fullmatch(r'0|[1-9][0-9]*', lines[1]) is not None, '%s: bad size', what)
    need(len(b64(lines[2])) == 32, '%s: bad root', what)
    need(re.fullmatch(r'time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z', lines[3]) is not None,
         '%s: bad time line %r', what, lines[3])
    index = index_leaf = None
    if len(lines) == 6 and lines[4].startswith('index-leaf '):
        need(len(b64(lines[4][11:])) == 32, '%s: bad index-leaf line', what)
        index_leaf = lines[4][11:]
    elif len(lines) == 6:
        need(lines[4].startswith('index ') and len(b64(lines[4][6:])) == 32, '%s: bad index line', what)
        index = lines[4][6:]
    c = {'size': int(lines[1]), 'root': b64(lines[2]), 'root64': lines[2],
         'time': lines[3][5:], 'index': index, 'index_leaf': index_leaf, 'body': body}
    CHECKPOINTS.append((what, c))
    return c


# F5, F12: every checkpoint seen (checkpoint.txt, checkpoints.jsonl, kept).
CHECKPOINTS = []


def check_checkpoint_set(bd, say):
    by = {}
    for what, c in CHECKPOINTS:
        o = by.setdefault(c['size'], (what, c))
        need(o[1]['body'] == c['body'], 'FORKED: %s and %s sign tree size %d differently', o[0], what, c['size'])
    leaves = {}
    if 'capture-index.json' in bd.files:
        ci = json.loads(bd.get('capture-index.json'))
        leaves = {r['seq']: base64.b64encode(sha(r['text'].encode())).decode() for r in ci.get('records', [])}
    first = None
    for size in sorted(by):
        what, c = by[size]
        if c['index_leaf'] is None:
            need(first is None, '%s: tree size %d without an index leaf after %s, which has one', what, size, first)
            continue
        first = first or what
        need(leaves.get(size) == c['index_leaf'], '%s: its index record (record %d) is not in capture-index.json', what, size)
    say('checkpoints: %d tree sizes, no two statements of one; %s' % (
        len(by), 'the index a leaf from %s on' % first if first else 'all predate the index leaf'))


# F5: RFC 9162 2.1.3.2 and 2.1.4.2.
def node(l, r):
    return sha(b'\1' + l + r)


def check_inclusion(leaf_hash, index, size, proof, root):
    need(index < size, 'leaf index %d beyond tree size %d', index, size)
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        need(sn > 0, 'inclusion proof too long')
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def check_consistency(first, second, first_hash, second_hash, proof):
    if first == second:
        return not proof and first_hash == second_hash
    if not proof or first > second:
        return False
    if first & (first - 1) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


# Times: RFC 3339 to unix nanoseconds and back (F4, F8, F12).
def nanos(s):
    m = re.fullmatch(r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)', s)
    need(m is not None, 'bad time %r', s)
    secs = calendar.timegm(tuple(int(m.group(i)) for i in range(1, 7)))
    if m.group(8) != 'Z':
        sign = 1 if m.group(8)[0] == '+' else -1
        secs -= sign * (int(m.group(8)[1:3]) * 3600 + int(m.group(8)[4:6]) * 60)
    return secs * 10**9 + int((m.group(7) or '').ljust(9, '0'))


def utc(ns, digits=9):
    s, f = divmod(ns, 10**9)
    base = '%04d-%02d-%02dT%02d:%02d:%02d' % tuple(time.gmtime(s)[:6])
    return base + ('.' + ('%09d' % f)[:digits] if digits else '') + 'Z'


def go_duration(ns):
    """Go's time.Duration.String."""
    if ns == 0:
        return '0s'
    sign, u = ('-' if ns < 0 else ''), abs(ns)

    def frac(v, prec):
        i, f = divmod(v, 10**prec)
        f = ('%0*d' % (prec, f)).rstrip('0') if prec else ''
        return str(i) + ('.' + f if f else '')
    if u < 1000:
        return sign + '%dns' % u
    if u < 10**6:
        return sign + frac(u, 3) + '\u00b5s'
    if u < 10**9:
        return sign + frac(u, 6) + 'ms'
    h, rest = divmod(u, 3600 * 10**9)
    m, s = divmod(rest, 60 * 10**9)
    out = (str(h) + 'h' if h else '') + (str(m) + 'm' if h or m else '')
    return sign + out + frac(s, 9) + 's'


def strict_zip(data, infos):
    """F1: the entries tile the file from byte 0 up to the central directory, which ends it."""
    u16 = lambda o: int.from_bytes(data[o:o + 2], 'little')
    u32 = lambda o: int.from_bytes(data[o:o + 4], 'little')
    need(len(data) >= 22 and data[-22:-18] == b'PK\x05\x06', 'the zip does not end with its end of central directory record')
    at = 0
    for i in sorted(infos, key=lambda i: i.header_offset):
        need(i.header_offset == at and data[at:at + 4] == b'PK\x03\x04', 'bytes before or between the zip\'s entries at %d', at)
        n, e = u16(at + 26), u16(at + 28)
        need(data[at + 30:at + 30 + n] == i.filename.encode(), 'local header name %r is not the central directory\'s %r',
             data[at + 30:at + 30 + n], i.filename)
        at += 30 + n + e + i.compress_size
        if i.flag_bits & 8:
            at += 16 if data[at:at + 4] == b'PK\x07\x08' else 12
    need(at == u32(len(data) - 6), 'bytes between the last entry and the central directory')


class Bundle:
    """The bundle's files, each checked against manifest.json (F1)."""

    def __init__(self, path):
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            names = [i.filename for i in infos]
            need(len(set(names)) == len(names), 'a name is in the zip twice')
            for i in infos:
                n = i.filename
                need(not i.is_dir() and not n.startswith('/') and '\\' not in n
                     and '' not in n.split('/') and '..' not in n.split('/'), 'bad zip name %r', n)
            self.files = {i.filename: z.read(i) for i in infos}
            need(z.comment == b'', 'the zip has an archive comment')
        with open(path, 'rb') as f:
            strict_zip(f.read(), infos)

    def get(self, name):
        need(name in self.files, '%s is missing', name)
        return self.files[name]


def check_files(bd, say):
    m = json.loads(bd.get('manifest.json'))
    listed = [f['name'] for f in m['files']]
    need(listed == sorted(listed, key=lambda n: n.encode()) and len(set(listed)) == len(listed),
         'manifest.json files are not sorted and unique')
    for n in bd.files:
        need(n in ('manifest.json', 'manifest.sig') or n in listed, '%s is not listed in manifest.json', n)
    for f in m['files']:
        need(f['name'] not in ('manifest.json', 'manifest.sig') and allowed_name(f['name']),
             'manifest.json lists %r, not a bundle file name', f['name'])
        data = bd.get(f['name'])
        need(shahex(data) == f['sha256'] and len(data) == f['size'], '%s does not match its SHA-256 or size', f['name'])
    sums = ''.join('%s  %s\n' % (f['sha256'], f['name']) for f in m['files'] if f['name'] != 'SHA256SUMS')
    need(bd.get('SHA256SUMS').decode() == sums, 'SHA256SUMS is not the manifest list')
    say('files: %d listed, every one matches, none unlisted' % len(listed))
    return m


def check_signatures(bd, m, key, say):
    need(bd.get('log.pub').decode() == key.line + '\n', 'log.pub is not the trusted key')
    lg = m['log']
    need(lg['key'] == key.line and lg['origin'] == key.name, 'manifest.json log is not the trusted key')
    need(lg['fingerprint'] == key.fingerprint, 'manifest.json fingerprint is not the key\'s')
    text = open_note(bd.get('manifest.sig'), key, 'manifest.sig')
    need(text == 'telltale bundle manifest\n%s  manifest.json\n' % shahex(bd.get('manifest.json')),
         'manifest.sig does not sign this manifest.json')
    cp = parse_checkpoint(open_note(bd.get('checkpoint.txt'), key, 'checkpoint.txt'), key, 'checkpoint.txt')
    mc = m['checkpoint']
    need(mc['file'] == 'checkpoint.txt' and mc['tree_size'] == cp['size'] and mc['root_hash'] == cp['root64']
         and mc['time'] == cp['time'], 'manifest.json checkpoint is not checkpoint.txt')
    say('key %s+%s (%s); manifest.sig and checkpoint.txt signed by it' % (key.name, key.id, key.fingerprint))
    say('checkpoint: tree size %d, root %s, %s' % (cp['size'], cp['root64'], cp['time']))
    return cp


def check_earlier(bd, key, cp, say):
    notes, roots = {}, {}
    for n, line in enumerate(bd.get('checkpoints.jsonl').decode().splitlines(), 1):
        cl = json.loads(line)
        what = 'checkpoints.jsonl line %d' % n
        e = parse_checkpoint(open_note(cl['note'].encode(), key, what), key, what)
        need(e['size'] <= cp['size'], '%s: tree size beyond the checkpoint\'s', what)
        if e['size'] > 0:
            need(check_consistency(e['size'], cp['size'], e['root'], cp['root'], [b64(p) for p in cl['proof']]),
                 '%s: not extended by checkpoint.txt (FORKED or edited)', what)
        notes[cl['index']] = cl['note'].encode()
        roots[e['size']] = e['root']
    say('earlier checkpoints: %d, each extended by checkpoint.txt' % len(notes))
    return notes, roots


def check_kept(path, key, cp, roots, say):
    """Step 3: a checkpoint kept elsewhere is one this bundle extends, or the log FORKED."""
    what = 'kept checkpoint %s' % path
    kept = parse_checkpoint(open_note(open(path, 'rb').read(), key, what), key, what)
    roots = {**roots, cp['size']: cp['root']}
    need(kept['size'] in roots, '%s: tree size %d is not in checkpoints.jsonl: ask for a bundle that carries it',
         what, kept['size'])
    need(roots[kept['size']] == kept['root'], 'FORKED: %s and this bundle are two histories signed by the key', what)
    say('%s: tree size %d, extended by this bundle\'s checkpoint' % (what, kept['size']))


# F6, F7: every record's leaf, rebuilt from its parts, and its proof.
def leaf_lines(leaf):
    lines = leaf.split('\n')
    need(leaf.endswith('\n') and len(lines) == 9, 'leaf is not 8 lines')
    need(lines[0] in ('telltale-leaf/v1', 'telltale-leaf/v2'), 'leaf version %r', lines[0])
    d = dict(l.split(' ', 1) for l in lines[1:-1])
    d['version'] = lines[0]
    return d


def ns(s):
    b = s.encode()
    return b'%d:%s,' % (len(b), b)


def field_label(f):
    if not f.get('name') and f['kind'] != 'query':
        return f['kind']
    return '%s %s' % (f['kind'], f.get('name', ''))


def v2_head(r, held, what):
    """The leaf's head line from head_fields, checking what is withheld (step 4, F7)."""
    need('head' not in r and 'head_redacted' not in r, '%s: a v1 head for a v2 leaf', what)
    if 'head_fields' not in r:
        return '-'
    cs, hidden = [], []
    for f in r['head_fields']:
        if 'value' in f:
            salt = bytes.fromhex(f['salt'])
            need(len(salt) == 16 and salt.hex() == f['salt'] and 'commitment' not in f, '%s: bad salt', what)
            cs.append(shahex(salt + ns(f['kind']) + ns(f.get('name', '')) + ns(f['value'])))
        else:
            need(HEX64.match(f.get('commitment', '')) and 'salt' not in f, '%s: a field without value or commitment', what)
            cs.append(f['commitment'])
            hidden.append(field_label(f))
    w = held.get('head')
    if hidden:
        need(w is not None and w['reason'] == 'redacted' and w.get('fields') == hidden,
             '%s: head fields %s withheld but not listed', what, hidden)
    else:
        need(w is None, '%s: head listed as withheld, but every field is shipped', what)
    return shahex(''.join(c + '\n' for c in cs).encode())


def check_seal(bd, r, lf, held, used, what):
    seal = r.get('seal')
    need(seal is not None and shahex(seal['text'].encode()) == lf['body'][7:], '%s: seal is not the leaf\'s', what)
    need(lf['stored'] == 'sealed', '%s: a sealed body with a stored line', what)
    lines = seal['text'].split('\n')
    need(lines[0] == 'telltale-seal/v2' and lines[1].startswith('body ') and lines[2].startswith('copy '), '%s: seal text', what)
    if 'body' in r:
        data = bd.get(r['body'])
        need(r['body'] == 'bodies/' + seal['sha256'] and shahex(data) == seal['sha256'] and len(data) == seal['size'],
             '%s: body is not the sealed one', what)
        opened = bytes.fromhex(seal['salt']) + ns(seal['sha256']) + ns(str(seal['size']))
        need(lines[1] == 'body ' + shahex(opened), '%s: body does not open the seal', what)
        need('body' not in held, '%s: a shipped body listed as withheld', what)
        used.add(r['body'])
        return
    need('salt' not in seal, '%s: a seal opened without its body', what)
    w = held.get('body')
    need(w is not None and w['sha256'] == lf['body'][7:], '%s: sealed body neither shipped nor withheld', what)
    if 'body_redacted' in r:
        _, h, n, _ = lines[2].split(' ')
        copy = bd.get(r['body_redacted'])
        need(r['body_redacted'] == 'redacted/' + h and shahex(copy) == h and len(copy) == int(n) and w.get('copy') == r['body_redacted'],
             '%s: redacted copy is not the one the seal names', what)
        paths = [json.loads(l.split(' ', 2)[2]) for l in lines[3:] if l.startswith('secret ')]
        need(w['reason'] == 'redacted' and w.get('fields') == paths, '%s: withheld fields are not the seal\'s secrets', what)
        used.add(r['body_redacted'])


def check_record(bd, r, cp, used):
    seq, what = r['seq'], 'record %d' % r['seq']
    need(r['leaf_index'] == seq - 1, '%s: leaf_index is not seq - 1', what)
    meta = json.loads(r['meta'])
    need(meta['seq'] == seq and meta['body'] == {'sha256': '', 'size': 0, 'truncated': False},
         '%s: meta is not the record without its body', what)
    lf = leaf_lines(r['leaf'])
    held = {w['part'].split(' ')[-1]: w for w in r.get('withheld', [])}
    for w in r.get('withheld', []):
        need(w['seq'] == seq, '%s: withheld entry of another record', what)
    if lf['version'] == 'telltale-leaf/v2':
        head = v2_head(r, held, what)
    elif 'head' in r:
        head = shahex(r['head'].encode())
    elif 'head' in held:
        head = held['head']['sha256']
    else:
        head = '-'
    if 'head' in held:
        need(held['head']['sha256'] == head, '%s: withheld head is not the leaf\'s', what)
    stored = lf['stored']
    if lf['body'].startswith('sealed '):
        check_seal(bd, r, lf, held, used, what)
    elif stored == '-':
        need('body' not in r and 'body' not in held, '%s: a body, but the leaf stores none', what)
    else:
        h, n = stored.split(' ')
        if 'body' in r:
            data = bd.get(r['body'])
            need(r['body'] == 'bodies/' + h and shahex(data) == h and len(data) == int(n),
                 '%s: body file is not the stored bytes', what)
            used.add(r['body'])
        else:
            w = held.get('body')
            need(w is not None and w['sha256'] == h, '%s: stored bytes neither shipped nor withheld', what)
            if w['reason'] == 'redacted':
                need(w.get('copy') == r.get('body_redacted') and w['copy'] == 'redacted/' + shahex(bd.get(w['copy'])),
                     '%s: redacted copy is not its file', what)
                used.add(w['copy'])
    rebuilt = lf['version'] + '\nseq %d\ncapture %d\nkind %s\nmeta %s\nhead %s\nbody %s\nstored %s\n' % (
        seq, meta['capture'], meta['kind'], shahex(r['meta'].encode()), head, lf['body'], stored)
    need(rebuilt == r['leaf'], '%s: leaf is not the one its parts make', what)
    need(check_inclusion(sha(b'\0' + r['leaf'].encode()), r['leaf_index'], cp['size'],
                         [b64(p) for p in r['proof']], cp['root']), '%s: not under the checkpoint root', what)
    return meta, lf, held


# F8: the capture view, from the records only.
def body_desc(lf, held, seal=None):
    b, s = lf['body'], lf['stored']
    if b.startswith('sealed '):
        if seal and 'sha256' in seal:
            return {'sha256': seal['sha256'], 'size': seal['size'], 'truncated': False}
        return {'sha256': '', 'size': -1, 'truncated': False}
    if b == '-' and s == '-':
        d = {'sha256': '', 'size': 0, 'truncated': False}
    elif b == '-':
        d = {'sha256': '', 'size': -1, 'truncated': True}
    else:
        d = {'sha256': b.split(' ')[0], 'size': int(b.split(' ')[1]), 'truncated': s not in ('-', b)}
    if d['truncated']:
        d['stored_sha256'], d['stored_size'] = s.split(' ')[0], int(s.split(' ')[1])
    if held.get('body', {}).get('reason') == 'pruned':
        d['pruned'] = True
    return d


def shown_head(r):
    if 'head' in r:
        return json.loads(r['head'])
    if 'head_fields' in r:
        h, headers, trailers, pairs = {}, [], [], 0
        for f in r['head_fields']:
            k, v = f['kind'], f.get('value')
            if v is None:
                v = f.get('name', '') + '=%5BREDACTED%5D' if k == 'query' else REDACTED
            if k in ('method', 'proto', 'url'):
                h[k] = v
            elif k == 'query':
                h['url'] += ('?' if pairs == 0 else '&') + v
                pairs += 1
            elif k == 'status':
                h['status'] = int(v)
            elif k in ('header', 'trailer'):
                (headers if k == 'header' else trailers).append({'name': f['name'], 'value': v})
            else:
                raise Failed('head field kind %r' % k)
        h['headers'] = headers or None
        if trailers:
            h['trailers'] = trailers
        h.setdefault('proto', '')
        return h
    return r.get('head_redacted')


def message(head, d):
    if head is None:
        return None
    m = {'proto': head['proto'], 'headers': head['headers'], 'body_sha256': d['sha256'],
         'body_size': d['size'], 'truncated': d['truncated']}
    for k in ('method', 'url', 'status', 'trailers'):
        if head.get(k):
            m[k] = head[k]
    if d['truncated']:
        m['stored_sha256'] = d['stored_sha256']
    if d.get('pruned'):
        m['pruned'] = True
    return m


def view_of(recs):
    (o, om, olf, oheld) = recs[0]
    oh = shown_head(o)
    v = {'id': str(o['seq']), 'time': utc(nanos(om['time'])), 'client': om.get('client', ''),
         'host': om.get('host', ''), 'error': om.get('error', ''), 'leaves': [o['leaf_index']],
         'method': (oh or {}).get('method', ''), 'url': (oh or {}).get('url', ''), 'status': 0}
    if om.get('process'):
        v['process'] = om['process']
    od = body_desc(olf, oheld, o.get('seal'))
    if om['kind'] in ('tunnel', 'denied'):
        need(len(recs) == 1, 'capture %s: a %s with a second record', v['id'], om['kind'])
        v.update(kind=om['kind'], complete=True, request_bytes=om.get('bytes_up', 0),
                 response_bytes=om.get('bytes_down', 0), duration=go_duration(om.get('duration', 0)))
        if message(oh, od):
            v['request'] = message(oh, od)
        return v
    need(om['kind'] == 'request' and om['capture'] == o['seq'], 'capture %s: record %d does not open it', v['id'], o['seq'])
    v.update(kind='exchange', complete=len(recs) == 2, response_bytes=0)
    if len(recs) == 2:
        (r, rm, rlf, rheld) = recs[1]
        need(rm['kind'] == 'response' and rm['capture'] == o['seq'], 'capture %s: record %d is not its response', v['id'], r['seq'])
        if od['size'] < 0 and rm.get('request_body'):
            od = dict(rm['request_body'])
        rh, rd = shown_head(r), body_desc(rlf, rheld, r.get('seal'))
        v['leaves'].append(r['leaf_index'])
        v['error'] = v['error'] or rm.get('error', '')
        v['status'] = (rh or {}).get('status', 0)
        v['response_bytes'] = rd['size']
        if message(rh, rd):
            v['response'] = message(rh, rd)
        for k in ('tls', 'timings'):
            if rm.get(k):
                v[k] = rm[k]
    else:
        need(len(recs) == 1, 'capture %s: more than two records', v['id'])
    v['request_bytes'] = od['size']
    if message(oh, od):
        v['request'] = message(oh, od)
    return v


def check_captures(bd, m, cp, say):
    used, lines, ids = set(), [], []
    withheld = []
    for n, raw in enumerate(bd.get('captures.jsonl').decode().splitlines(), 1):
        line = json.loads(raw)
        recs = [check_record(bd, r, cp, used) for r in line['records']]
        recs = [(r,) + x for r, x in zip(line['records'], recs)]
        need(len(recs) > 0, 'captures.jsonl line %d: no records', n)
        v = view_of(recs)
        need(line['id'] == v['id'], 'captures.jsonl line %d: id %s is not its first record', n, line['id'])
        need(line['capture'] == v, 'capture %s: its view is not what its records say', v['id'])
        ids.append(int(v['id']))
        for r in line['records']:
            withheld += r.get('withheld', [])
        lines.append((line, recs))
    need(ids == sorted(set(ids)), 'captures.jsonl: captures not by ascending id, or repeated')
    need(m['captures'] == len(lines) and m['records'] == sum(len(l[1]) for l in lines), 'manifest.json counts are wrong')
    need(m['withheld'] == withheld, 'manifest.json withheld is not the records\'')
    for f in bd.files:
        if f.startswith(('bodies/', 'redacted/')):
            need(f in used, '%s is no record\'s body', f)
    nrec = sum(len(l[1]) for l in lines)
    say('records: %d in %d captures; every leaf rebuilt from its parts and proven under the root' % (nrec, len(lines)))
    say('bodies: %d files, each the stored bytes of its leaf; %d parts withheld' % (len(used), len(withheld)))
    say('capture views: every one is what its records say')
    return lines


# F9: summary.csv.
def cell(s):
    return "'" + s if s and s[0] in '=+-@\t\r' else s


def req_path(url):
    from urllib.parse import urlsplit
    u = urlsplit(url)
    if not u.netloc:
        return url
    return (u.path or '/') + ('?' + u.query if u.query else '')


def check_summary(bd, lines, say):
    data = bd.get('summary.csv').decode()
    need(data.endswith('\n') and '\r\n' not in data.replace('"\r\n', ''), 'summary.csv line ends are not "\\n"')
    rows = list(csv.reader(io.StringIO(data, newline='')))
    want = [['capture', 'time', 'kind', 'client', 'method', 'host', 'path', 'status', 'request_bytes',
             'response_bytes', 'request_body_sha256', 'response_body_sha256', 'complete', 'error', 'withheld', 'leaves']]
    for line, recs in lines:
        v = line['capture']
        held = ['%s (%s)' % (w['part'], w['reason']) for r in line['records'] for w in r.get('withheld', [])]
        want.append([v['id'], v['time'], v['kind'], cell(v['client']), cell(v['method']), cell(v['host']),
                     cell(req_path(v['url'])), str(v['status']), str(v['request_bytes']), str(v['response_bytes']),
                     v.get('request', {}).get('body_sha256', ''), v.get('response', {}).get('body_sha256', ''),
                     'true' if v['complete'] else 'false', cell(v['error']), '; '.join(held),
                     ' '.join(str(x) for x in v['leaves'])])
    for i, (got, w) in enumerate(zip(rows, want)):
        need(got == w, 'summary.csv row %d is not what the records say: %r, want %r', i + 1, got, w)
    need(len(rows) == len(want), 'summary.csv has %d rows, want %d', len(rows), len(want))
    say('summary.csv: %d rows, each what the records say' % (len(want) - 1))


# F10: capture.har.
def decode_content(ce, data):
    for c in reversed([c.strip().lower() for c in ce.split(',') if c.strip().lower() not in ('', 'identity')]):
        if c in ('gzip', 'x-gzip'):
            data = gzip.decompress(data)
        elif c == 'deflate':
            try:
                data = zlib.decompress(data)
            except zlib.error:
                data = zlib.decompress(data, -15)
        else:
            return None  # br and others: not in the standard library
    return data


def header(head, name):
    for h in (head or {}).get('headers') or []:
        if h['name'].lower() == name.lower():
            return h['value']
    return ''


def har_text(data):
    try:
        s = data.decode('utf-8')
        if '\0' not in s:
            return s, None
    except UnicodeDecodeError:
        pass
    return base64.b64encode(data).decode(), 'base64'


def shown_body(bd, r, head, d):
    """What a HAR entry shows of a body, or None when it cannot be told here."""
    if 'body' in r:
        data = bd.get(r['body'])
        ce = header(head, 'Content-Encoding')
        if d['truncated'] or not ce.strip(','):
            return data
        try:
            return decode_content(ce, data)
        except (OSError, EOFError, zlib.error):
            return data  # shown as sent
    if 'body_redacted' in r:
        return bd.get(r['body_redacted'])
    return b''


def ms(t, a, b):
    if not t.get(a) or not t.get(b) or nanos(t[b]) < nanos(t[a]):
        return 0.0
    return ((nanos(t[b]) - nanos(t[a])) // 1000) / 1000


def check_har_entry(bd, e, line, recs):
    v, (o, om, olf, oheld) = line['capture'], recs[0]
    what = 'capture.har entry of capture %s' % v['id']
    oh = shown_head(o)
    need(e['_telltaleCapture'] == v['id'] and e['_telltaleLeaves'] == v['leaves'], '%s: capture or leaves', what)
    need(e['startedDateTime'] == utc(nanos(om['time']), 3), '%s: startedDateTime', what)
    q = e['request']
    need(q['method'] == oh['method'] and q['url'] == oh['url'] and q['httpVersion'] == oh['proto'], '%s: request line', what)
    need(q['headers'] == [{'name': h['name'], 'value': h['value']} for h in oh['headers'] or []], '%s: request headers', what)
    need(q['bodySize'] == v['request_bytes'], '%s: request bodySize', what)
    query = req_path(oh['url']).partition('?')[2]
    need(q['queryString'] == [{'name': unquote_plus(k), 'value': unquote_plus(x)} for k, _, x in
                              (p.partition('=') for p in query.split('&')) if query], '%s: queryString', what)
    if 'postData' in q:
        data = shown_body(bd, o, oh, body_desc(olf, oheld, o.get('seal')))
        if data:
            need((q['postData']['text'], q['postData'].get('_encoding')) == har_text(data), '%s: postData text', what)
    s = e['response']
    if len(recs) == 2 and shown_head(recs[1][0]):
        (r, rm, rlf, rheld) = recs[1]
        rh = shown_head(r)
        need(s['status'] == rh['status'] and s['httpVersion'] == rh['proto'], '%s: response status', what)
        need(s['headers'] == [{'name': h['name'], 'value': h['value']} for h in rh['headers'] or []], '%s: response headers', what)
        need(s['bodySize'] == v['response_bytes'] and s['redirectURL'] == header(rh, 'Location'), '%s: response sizes', what)
        data = shown_body(bd, r, rh, body_desc(rlf, rheld, r.get('seal')))
        if data:
            need((s['content'].get('text'), s['content'].get('encoding')) == har_text(data), '%s: response content', what)
        t = rm.get('timings') or {}
        want = (ms(t, 'start', 'committed'), ms(t, 'committed', 'first_byte'), ms(t, 'first_byte', 'end'))
        got = (e['timings']['send'], e['timings']['wait'], e['timings']['receive'])
        need(all(abs(a - b) < 1e-6 for a, b in zip(got, want)) and abs(e['time'] - sum(want)) < 1e-6, '%s: timings', what)
    else:
        need(s['status'] == 0 and s.get('comment', '').startswith('no response recorded'), '%s: a response', what)
    need(e.get('_telltaleProcess') == v.get('process'), '%s: _telltaleProcess', what)
    comment = ['sent by ' + process_text(v['process'])] if v.get('process') else []
    comment += ['error: ' + v['error']] if v['error'] else []
    need(e.get('comment', '') == '; '.join(comment), '%s: comment', what)


def process_text(p):
    parts = ['pid %d' % p['pid']] if p.get('pid') else []
    parts += ['service ' + ', '.join(p['services'])] if p.get('services') else []
    parts += ['user ' + p['user']] if p.get('user') else []
    parts += [p['unknown']] if p.get('unknown') else []
    name = p.get('name') or 'unknown'
    return name + ' (' + ', '.join(parts) + ')' if parts else name


def check_har(bd, lines, say):
    har = json.loads(bd.get('capture.har'))
    need(har['log']['version'] == '1.2', 'capture.har is not HAR 1.2')
    ex = [(l, r) for l, r in lines if l['capture']['kind'] == 'exchange']
    entries = har['log']['entries']
    need(len(entries) == len(ex), 'capture.har has %d entries for %d exchanges', len(entries), len(ex))
    for e, (line, recs) in zip(entries, ex):
        check_har_entry(bd, e, line, recs)
    say('capture.har: %d entries, each what the records say' % len(entries))


# F11: RFC 3161 timestamps, message imprint only (a minimal DER walk).
SHA256_OID = bytes.fromhex('608648016503040201')


def der_items(b):
    out, i = [], 0
    while i < len(b):
        tag, n = b[i], b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7f
            n, i = int.from_bytes(b[i:i + k], 'big'), i + k
        need(i + n <= len(b), 'DER runs past its end')
        out.append((tag, b[i:i + n]))
        i += n
    return out


def tst_info(tsr):
    (tag, resp), = der_items(tsr)
    status, token = der_items(resp)[:2]
    need(der_items(status[1])[0][1] in (b'\0', b'\1'), 'time-stamp not granted')
    _, signed = der_items(token[1])[:2]
    sd = der_items(der_items(signed[1])[0][1])
    encap = der_items(sd[2][1])
    return der_items(der_items(der_items(encap[1][1])[0][1])[0][1])


def gen_time(s):
    """A GeneralizedTime, YYYYMMDDhhmmss[.f*]Z, in unix nanoseconds."""
    mt = re.fullmatch(r'(\d{14})(?:\.(\d+))?Z', s)
    need(mt is not None, 'genTime %r', s)
    frac = (mt.group(2) or '').ljust(9, '0')[:9]
    return calendar.timegm(time.strptime(mt.group(1), '%Y%m%d%H%M%S')) * 10**9 + int(frac)


def check_timestamps(bd, m, notes, say, max_lag):
    cosigned = {}
    for a in m['anchors']:
        note = bd.get('checkpoint.txt') if a['note'] == 'checkpoint.txt' else notes.get(a['checkpoint'])
        need(a['note'] in ('checkpoint.txt', 'checkpoints.jsonl') and note is not None, 'anchor %r: no note', a)
        if a['kind'] == 'cosignature/v1':
            need(m['format'] in ('telltale-bundle/v3', 'telltale-bundle/v4') and
                 a['file'] == 'cosignatures/%d.txt' % a['checkpoint'], 'anchor %r', a)
            cosigned[a['checkpoint']] = check_cosignatures(bd.get(a['file']), note, a['file'])
            continue
        need(a['kind'] == 'rfc3161' and a['file'] == 'timestamps/%d.tsr' % a['checkpoint'], 'anchor %r', a)
        info = tst_info(bd.get(a['file']))
        alg, digest = der_items(info[2][1])
        need(der_items(alg[1])[0][1] == SHA256_OID and digest[1] == sha(note),
             '%s is not over checkpoint %d\'s note', a['file'], a['checkpoint'])
        body = note.decode().split('\n')
        claimed = nanos(body[3][5:])
        lag = gen_time(info[4][1].decode()) - claimed
        need(abs(lag) <= max_lag * 10**9, '%s: genTime %s is %.0f s from the time checkpoint %d claims (more than --max-lag %d s)',
             a['file'], info[4][1].decode(), lag / 1e9, a['checkpoint'], max_lag)
        say('timestamp %s: over checkpoint %d, genTime %s, %.0f s after its time (imprint only; the TSA signature needs openssl ts -verify)'
            % (a['file'], a['checkpoint'], info[4][1].decode(), lag / 1e9))
    for f in bd.files:
        if f.startswith(('timestamps/', 'cosignatures/')):
            need(any(a['file'] == f for a in m['anchors']), '%s is in no anchor', f)
    if any(w.cosigner for w in WITNESSES):
        need(any(cosigned.values()), 'no witness you named cosigned any checkpoint of this bundle')
    for cp, names in sorted(cosigned.items()):
        say('cosignatures of checkpoint %d: %d of the witnesses you named vouch for it (%s)' % (cp, len(names), ', '.join(names) or 'none'))


# F11: cosignature/v1 lines over a checkpoint's note.
def check_cosignatures(b, note, what):
    lines = b.decode().split('\n')
    need(lines[-1] == '' and len(lines) > 1, '%s: not signature lines', what)
    text = note.decode()
    body = text[:text.rfind('\n\n') + 1]
    names = []
    for line in lines[:-1]:
        need(line.startswith('\u2014 '), '%s: bad line %r', what, line)
        name, _, sig = line[2:].partition(' ')
        raw = b64(sig)
        need(len(raw) == 76, '%s: a cosignature of %d bytes', what, len(raw))
        by = [w for w in WITNESSES if w.cosigner and w.name == name and w.kid == raw[:4]]
        if not by:
            continue  # a witness you do not know proves nothing
        t = int.from_bytes(raw[4:12], 'big')
        try:
            by[0].pub.verify(raw[12:], ('cosignature/v1\ntime %d\n' % t).encode() + body.encode())
        except InvalidSignature:
            raise Failed('%s: the cosignature by %s does not verify' % (what, name))
        names.append(name)
    return names


# F12: the signed capture index and the selection's completeness.
def endpoint_of(method, url):
    if not method or not url:
        return ''
    base = url.split('?', 1)[0]
    if '://' in base:
        base = base.split('://', 1)[1]
    auth, slash, path = base.partition('/')
    e = method + ' ' + auth.lower() + slash + path
    return ''.join('%%%02X' % ord(c) if ord(c) < 0x20 or ord(c) == 0x7f else c for c in e)


def merkle(hs):
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return node(merkle(hs[:k]), merkle(hs[k:]))


def list_root(seqs, times):
    return merkle([sha(b'\0' + ('%d %d\n' % x).encode()) for x in zip(seqs, times)]).hex()


def parse_index_text(t):
    lines = t.split('\n')
    need(len(lines) >= 3 and lines[0] == 'telltale-index/v3' and lines[-1] == '' and lines[1].startswith('size '),
         'index text is not telltale-index/v3')
    out = {}
    for l in lines[2:-1]:
        kind, count, root, key = l.split(' ', 3)
        need(kind in ('host', 'endpoint') and HEX64.match(root) and int(count) > 0, 'index text line %r', l)
        out[(kind, key)] = (int(count), root)
    return int(lines[1][5:]), out


# F12: the index records (telltale-index/v3), each a leaf proven under the root.
def check_index_records(ci, cp, text, lists):
    recs = ci['records']
    need(recs and recs[-1]['seq'] == cp['size'] and recs[-1]['text'] == text,
         'capture-index.json does not carry the checkpoint\'s index record, with its lines\' text')
    texts, last = [], 0
    for r in recs:
        what = 'index record %d' % r['seq']
        lf, t = leaf_lines(r['leaf']), r['text'].encode()
        need(lf['kind'] == 'index' and lf['seq'] == lf['capture'] == str(r['seq']) and lf['head'] == '-' and
             lf['body'] == lf['stored'] == '%s %d' % (shahex(t), len(t)), '%s: not an index leaf with its text', what)
        need(shahex(r['meta'].encode()) == lf['meta'] and json.loads(r['meta'])['kind'] == 'index', '%s: meta', what)
        need(r['seq'] > last and r['seq'] <= cp['size'], '%s: out of order', what)
        need(check_inclusion(sha(b'\0' + r['leaf'].encode()), r['seq'] - 1, cp['size'], [b64(p) for p in r['proof']],
                             cp['root']), '%s: inclusion proof', what)
        size, lines = parse_index_text(r['text'])
        need(size < r['seq'] and (not texts or size >= texts[-1][0]), '%s: indexes %d records', what, size)
        texts.append((size, lines))
        last = r['seq']
    for kind, key, seqs, times in lists:
        for size, lines in texts[:-1]:
            count, root = lines.get((kind, key), (0, None))
            need(count <= len(seqs) and (count == 0 or list_root(seqs[:count], times[:count]) == root) and
                 all(s > size for s in seqs[count:]), '%s %r: does not extend the index of the first %d records', kind, key, size)


def index_lists(ci, kind, idx, v2):
    keys = [h[kind] for h in ci.get(kind + 's', [])]
    need(keys == sorted(keys, key=lambda k: k.encode()) and len(set(keys)) == len(keys), 'index %ss not sorted', kind)
    for h in ci.get(kind + 's', []):
        if 'seqs' in h:
            t = 'telltale-%s-index/v1\n%s %s\n' % (kind, kind, h[kind]) + ''.join('%d %d\n' % x for x in zip(h['seqs'], h['times']))
            got = list_root(h['seqs'], h['times']) if ci['format'] == 'telltale-index/v3' else shahex(t.encode())
            need(got == h['hash'] and len(h['seqs']) == h['count'] == len(h['times']), 'index of %s %r', kind, h[kind])
        idx.append((kind + ' ' if v2 else '') + '%d %s %s' % (h['count'], h['hash'], h[kind]))


def check_index(bd, m, cp, lines, say):
    sel = m['selection']
    if sel.get('ids') and cp['index_leaf'] is None:
        need('capture-index.json' not in bd.files, 'capture-index.json in a selection by ids')
        say('completeness: a selection by capture ids; nothing proves it complete')
        return
    if 'capture-index.json' not in bd.files:
        need(cp['index'] is None and cp['index_leaf'] is None, 'the checkpoint signs an index, but capture-index.json is missing')
        say('completeness: the checkpoint has no index line; nothing proves the selection complete')
        return
    ci = json.loads(bd.get('capture-index.json'))
    v3 = ci['format'] == 'telltale-index/v3'
    v2 = ci['format'] == 'telltale-index/v2' or v3
    need((v2 or ci['format'] == 'telltale-index/v1' and 'endpoints' not in ci) and ci['tree_size'] == cp['size'] and
         v3 == (cp['index_leaf'] is not None), 'capture-index.json is not the checkpoint\'s')
    idx = [ci['format']] + (['size %d' % ci['indexed']] if v3 else [])
    index_lists(ci, 'host', idx, v2)
    index_lists(ci, 'endpoint', idx, v2)
    text = '\n'.join(idx) + '\n'
    root = base64.b64encode(sha(text.encode())).decode()
    need(root == ci['root'] and root == (cp['index_leaf'] if v3 else cp['index']), 'capture-index.json is not the index the checkpoint signs')
    if v3:
        check_index_records(ci, cp, text, [(k, h[k], h['seqs'], h['times']) for k in ('host', 'endpoint')
                                           for h in ci.get(k + 's', []) if 'seqs' in h])
        say('index leaf: %d index records proven in the log, each extended by the next' % len(ci['records']))
        if sel.get('ids'):
            say('completeness: a selection by capture ids; nothing proves it complete')
            return
    ep = sel.get('endpoint')
    if ep and not v2:
        say('completeness: the checkpoint\'s index has no endpoints; nothing proves the selection complete')
        return
    lo = nanos(sel['since']) if sel.get('since') else None
    hi = nanos(sel['until']) if sel.get('until') else None
    have = {}
    for line, recs in lines:
        c = line['capture']
        key = endpoint_of(c['method'], c['url']) if c['kind'] == 'exchange' else ''
        have[int(line['id'])] = (key if ep else (recs[0][1].get('host') or '').lower(), nanos(recs[0][1]['time']))
    if ep:
        covered, kind = [e for e in ci.get('endpoints', []) if e['endpoint'] == ep], 'endpoint'
        need(all(k == ep for k, _ in have.values()), 'a capture is not of endpoint %r', ep)
    else:
        covered, kind = [h for h in ci['hosts'] if not sel.get('host') or h['host'] == sel['host'].lower()], 'host'
    for h in covered:
        need('seqs' in h, 'capture-index.json: covered %s %r has no seqs', kind, h[kind])
        want = {s: n for s, n in zip(h['seqs'], h['times']) if (lo is None or n >= lo) and (hi is None or n < hi)}
        got = {s: n for s, (hh, n) in have.items() if hh == h[kind] and (not v3 or s <= ci['indexed'])}
        need(want == got, '%s %r: the bundle has captures %s, the signed index %s',
             kind, h[kind], sorted(got), sorted(want))
    say('completeness: %d %s(s) covered, every capture the signed index lists for the selection is here, no other'
        % (len(covered), kind))


DERIVED = re.compile(r'<pre hidden id="telltale-derived">(.*?)</pre>', re.S)


def check_derived_inputs(bd, m, say):
    """licenses.json, measured.csv, the manifest's reconciliation and
    report.html's derived block go together (step 7, F1); their numbers
    are not remade here."""
    import html
    if 'licenses.json' not in bd.files:
        return
    basis = json.loads(bd.get('licenses.json'))
    need(basis.get('format') == 'telltale-licenses/v1', 'licenses.json: format %r', basis.get('format'))
    need(isinstance(basis.get('entitlements'), list), 'licenses.json: no entitlements list')
    meas = basis.get('measured')
    if meas is None:
        need('reconciliation' not in m, 'manifest.json has a reconciliation but licenses.json no measurement')
    else:
        need(meas.get('file') == 'measured.csv', 'licenses.json: measured from %r, not measured.csv', meas.get('file'))
        need('reconciliation' in m, 'licenses.json has a measurement but manifest.json no reconciliation')
        need(m['reconciliation']['measured']['sha256'] == shahex(bd.get('measured.csv')),
             'manifest.json reconciliation: not of the bundle\'s measured.csv')
    block = None
    if 'report.html' in bd.files:
        hit = DERIVED.search(bd.get('report.html').decode())
        need(hit is not None, 'report.html: no derived block')
        block = json.loads(html.unescape(hit.group(1)))
        need('position' in block, 'report.html: the derived block has no position')
        need(('reconciliation' in block) == (meas is not None), 'report.html: the derived block\'s reconciliation and licenses.json do not go together')
    say('derived inputs: licenses.json (%d entitlements%s)%s; position and reconciliation not remade here (telltale verify does)' % (
        len(basis['entitlements']), ', measured.csv' if meas else '', ' and report.html\'s derived block go together' if block else ''))


def main(argv=None):
    ap = argparse.ArgumentParser(description='Verify a Telltale evidence bundle from its README alone.')
    ap.add_argument('bundle')
    ap.add_argument('--key', required=True, help='the log.pub line you trust (or a file holding it)')
    ap.add_argument('--witness', action='append', default=[], help='a witness key line whose cosignatures to accept')
    ap.add_argument('--earlier', action='append', default=[], help='a signed checkpoint you kept (a file)')
    ap.add_argument('--max-lag', type=int, default=600, help='seconds a timestamp\'s genTime may be from its checkpoint\'s time')
    a = ap.parse_args(argv)
    keyline = lambda k: (open(k).read() if os.path.isfile(k) else k).strip()
    say = lambda s: print('ok  ' + s)
    try:
        key = Key(keyline(a.key))
        WITNESSES[:] = [Key(keyline(w)) for w in a.witness]
        bd = Bundle(a.bundle)
        m = check_files(bd, say)
        cp = check_signatures(bd, m, key, say)
        notes, roots = check_earlier(bd, key, cp, say)
        for path in a.earlier:
            check_kept(path, key, cp, roots, say)
        lines = check_captures(bd, m, cp, say)
        check_summary(bd, lines, say)
        check_har(bd, lines, say)
        check_timestamps(bd, m, notes, say, a.max_lag)
        check_index(bd, m, cp, lines, say)
        check_checkpoint_set(bd, say)
        check_derived_inputs(bd, m, say)
    except (Failed, KeyError, TypeError, ValueError, IndexError, zipfile.BadZipFile, OSError) as e:
        print('FAIL ' + (str(e) if isinstance(e, Failed) else '%s: %s' % (type(e).__name__, e)))
        return 1
    print('PASS %s: format %s, selection %s' % (a.bundle, m['format'], json.dumps(m['selection'], sort_keys=True)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
