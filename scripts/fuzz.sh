#!/usr/bin/env bash
# Fuzzes the readers and the frame path with libFuzzer + AddressSanitizer, each target
# for SECONDS (default 30), and prints a table: executions, coverage, crashes.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]      (make fuzz SECONDS=600)
# Targets: json safetensors config model pgm frame. The corpus grows in
# .build/fuzz-corpus/<target> (seeded from Fuzz/corpus/<target>, made by
# training/fixtures/make_fuzz_seeds.py); a crash leaves its input in
# .build/fuzz-findings/<target>/ and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json safetensors config model pgm frame)
build=.build/fuzz
echo "fuzz: building ${targets[*]} with -sanitize=fuzzer,address (release)"
for t in "${targets[@]}"; do
  # Swift's -sanitize=fuzzer links libFuzzer but leaves the code uninstrumented; the
  # coverage libFuzzer reads (inline 8-bit counters, PC table, comparisons) is asked for.
  SWIFTVR_FUZZ=1 swift build -c release --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp --build-path "$build" \
    --product "fuzz-$t" 2>&1 | grep -E "error|warning: .*fuzz|Compiling|Build complete" | grep -v "^\[" || true
  [ -x "$build/release/fuzz-$t" ] || { echo "fuzz: fuzz-$t did not build" >&2; exit 2; }
done
# Leaks are checked at exit by LeakSanitizer (ASan's default on Linux); a leak fails the run.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export SWIFTVR_REPO=$PWD
status=0
rows=()
for t in "${targets[@]}"; do
  corpus=.build/fuzz-corpus/$t findings=.build/fuzz-findings/$t
  mkdir -p "$corpus" "$findings"
  log=$(mktemp)
  set +e
  "$build/release/fuzz-$t" "$corpus" "Fuzz/corpus/$t" -max_total_time="$seconds" -rss_limit_mb=3072 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | tail -n 1 | grep -oE "[0-9]+$" || echo 0)
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -n 1 | grep -oE "[0-9]+" || echo 0)
  found=$(find "$findings" -type f | wc -l)
  result=ok
  if [ $rc -ne 0 ] || [ "$found" -gt 0 ]; then
    result="FAILED (exit $rc; inputs in $findings)"
    status=1
    grep -E "ERROR|SUMMARY|Fatal error|==[0-9]+==" "$log" | head -n 20 >&2 || true
  fi
  rows+=("| $t | $seconds s | $execs | $((execs / (seconds > 0 ? seconds : 1))) | $cov | $found | $result |")
  rm -f "$log"
done
echo
echo "| target | time | executions | per second | coverage (edges) | crashes/leaks | result |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
exit $status
