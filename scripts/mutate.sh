#!/usr/bin/env bash
# Mutation testing (issue 25, docs/testing.md): gremlins changes one token
# of the code at a time (a < for a <=, a && for a ||, a + for a -) and runs
# the tests that guard it; a mutant the tests do not notice ("LIVED") is a
# change to the product the suite would let through.
#
#   scripts/mutate.sh [target...]    targets: redact verify fields wal proxy ci
#                                    (default: all but ci; .ci/run runs ci,
#                                    the v2 head redaction and verification,
#                                    the Merkle tree and the checkpoint
#                                    proofs, in a few minutes)
#
# Each target is one package, a few of its files (the rest are left
# unmutated) and the tests that guard them (a -run filter, passed to every
# `go test` gremlins starts through GOFLAGS), so that a run takes minutes,
# not hours. Gremlins mutates only lines those tests cover; efficacy is
# killed / (killed + lived). The surviving mutants are listed at the end of
# each target, and in $MUTATE_OUT/<target>.txt (default .mutate/, git-
# ignored); a target below its threshold fails the script.
#
# Environment: GREMLINS (a gremlins binary; by default v0.6.0 is installed),
# MUTATE_TIMEOUT (per target, default 15m), MUTATE_WORKERS (default 2), MUTATE_OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${GREMLINS:-}" ]; then
  go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
  GREMLINS=$(go env GOPATH)/bin/gremlins
fi
out=${MUTATE_OUT:-.mutate}
mkdir -p "$out"

# target: package | files mutated | tests run (-run) | efficacy threshold
declare -A pkg files tests threshold
pkg[redact]=evidence
files[redact]="redact.go headfields.go seal.go"
tests[redact]='^(TestRedactor_|TestExport_V2Head_|TestExport_RedactedSubset|TestExport_SealedBody_Secret|TestExport_UndecodableBody|TestVerify_SealedRecordTamper)'
threshold[redact]=90

pkg[verify]=evidence
files[verify]="bundle_verify.go bundle_captures.go bundle_checkpoints.go bundle_seal.go tree.go"
tests[verify]='^(TestVerifyBundle_|TestCompactTree_|TestExport_V2Head_|TestBundle_IndexCatches|TestExport_RedactedSubset|TestExport_SealedBody_)'
threshold[verify]=90

pkg[ci]=evidence
files[ci]="headfields.go tree.go bundle_checkpoints.go"
tests[ci]='^(TestRedactor_|TestSizeOfSealed|TestExport_V2Head_|TestCompactTree_|TestVerifyBundle_(BrokenInclusionProof|ProofOfAnEarlierTree|V2HeadFieldChecks|CheckpointChecks))'
threshold[ci]=90

pkg[fields]=store
files[fields]="fields.go leaf.go"
tests[fields]='^(TestHeadFields_|TestLeaf|TestParseLeaf_|TestStore_Append_(RoundTripEachKind|SaltsDiffer|SealsBodiesWithSecrets|BodyMismatch|RequestBodyPastLimit))'
threshold[fields]=85

pkg[wal]=store
files[wal]="wal.go wal_scan.go"
tests[wal]='^(TestStore_WAL_|TestStore_Append_|TestStore_FullDisk_Told)'
threshold[wal]=75

pkg[proxy]=proxy
files[proxy]="exchange.go upstream.go"
tests[proxy]='^(TestProxy_LargeBodies_|TestProxy_SmallJSON|TestProxy_TenMiB|TestProxy_Head_|TestUpstream|TestProxy_Upstream)'
threshold[proxy]=70

# exclusions is a regexp for every non-test Go file of a package but the
# given ones: gremlins has no "only these files".
exclusions() {
  local dir=$1; shift
  local keep=" $* " names=()
  for f in "$dir"/*.go; do
    f=${f##*/}
    case $f in *_test.go) continue ;; esac
    [[ $keep == *" $f "* ]] || names+=("${f%.go}")
  done
  local IFS='|'
  echo "^(${names[*]})\.go\$"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(redact verify fields wal proxy)
status=0
for t in "${targets[@]}"; do
  [ -n "${pkg[$t]:-}" ] || { echo "unknown target $t (want: ${!pkg[*]})"; exit 2; }
  echo "== mutate $t: ${pkg[$t]}/{${files[$t]// /,}}, tests ${tests[$t]}"
  start=$SECONDS
  set +e
  GOFLAGS="-count=1 -run=${tests[$t]}" timeout "${MUTATE_TIMEOUT:-15m}" nice -n 10 "$GREMLINS" unleash \
    --workers "${MUTATE_WORKERS:-2}" --timeout-coefficient 10 \
    --exclude-files "$(exclusions "${pkg[$t]}" ${files[$t]})" \
    --threshold-efficacy "${threshold[$t]}" \
    -o "$out/$t.json" "./${pkg[$t]}" >"$out/$t.log" 2>&1
  rc=$?
  set -e
  grep -E '^ *(LIVED|TIMED OUT)' "$out/$t.log" | sed 's/^ *//' >"$out/$t.txt" || true
  grep -E 'Killed:|Mutator coverage|Test efficacy' "$out/$t.log" | sed 's/^ */   /' || true
  echo "   surviving mutants ($(wc -l <"$out/$t.txt")), $((SECONDS - start))s:"
  sed 's/^/     /' "$out/$t.txt"
  if [ $rc -ne 0 ]; then
    [ $rc -eq 124 ] && echo "   $t: timed out after ${MUTATE_TIMEOUT:-15m}"
    tail -5 "$out/$t.log"
    echo "   $t: FAILED (exit $rc; threshold ${threshold[$t]}% efficacy)"
    status=1
  fi
done
exit $status
