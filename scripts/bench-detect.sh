#!/usr/bin/env bash
# The face detector benchmark: the Swift detector and the original CenterFace in
# onnxruntime, on the same frames, input sizes, weights and thread count, one run.
# Needs the Python side (scripts/install-deps.sh --training). Prints a table.
#
# Run: bash scripts/bench-detect.sh [threads]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
swift build -c release --product swiftvr-bench 2>&1 | grep -E "error|warning: unre" || true
frames=$(mktemp -d)
trap 'rm -rf "$frames"' EXIT
# The host's speed drifts from minute to minute (a shared machine), so the two sides run
# in turns, three times each, and each keeps its best median per row.
rounds=${BENCH_ROUNDS:-3}
refs="" ourss=""
for _ in $(seq "$rounds"); do
  refs+=$(python3 training/bench_detect_reference.py --frames "$frames" --threads "$threads")$'\n'
  ourss+=$(SWIFTVR_THREADS=$threads .build/release/swiftvr-bench detect --frames "$frames" --threads "$threads")$'\n'
done
# Per row (the first four fields), the run with the smallest network time (field 6).
best() { awk '{k=$1" "$2" "$3" "$4; if (!(k in b) || $6+0 < b[k]+0) {b[k]=$6; l[k]=$0}; if (!(k in o)) {o[k]=n++}} END {for (k in o) r[o[k]]=l[k]; for (i=0;i<n;i++) print r[i]}'; }
ref=$(grep -v '^ref-follow' <<<"$refs" | grep . | best; grep '^ref-follow' <<<"$refs" | sort -k3 -n | head -1)
ours=$(grep . <<<"$ourss" | best)
echo "CenterFace detection, ms per frame (median of 20, best of $rounds alternating runs per side), $threads threads, $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo
printf "| frame | network input | Swift network | onnxruntime network | ratio | Swift total | onnxruntime+cv2 total | ratio | faces (Swift/ref) |\n"
printf "|---|---|---|---|---|---|---|---|---|\n"
paste <(grep '^swift' <<<"$ours") <(grep '^ref ' <<<"$ref") | while read -r _ w h iw ih sm st sf _ _ _ _ _ rm rt rf; do
  printf "| %sx%s | %sx%s | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f | %s/%s |\n" "$w" "$h" "$iw" "$ih" \
    "$sm" "$rm" "$(echo "$sm / $rm" | bc -l)" "$st" "$rt" "$(echo "$st / $rt" | bc -l)" "$sf" "$rf"
done
echo
# Between whole-frame detections (detect-every > 1) each tracked face is detected again in
# a small neighbourhood: the network on one neighbourhood, and the total for all faces.
read -r _ rside rfollow <<<"$(grep '^ref-follow' <<<"$ref")"
echo "Following tracked faces between whole-frame detections (FaceDetector.detect(around:)), ms per frame:"
echo
printf "| frame | neighbourhood input | Swift network, one face | onnxruntime network | ratio | Swift total, all faces | faces followed | detection per frame at detect-every 5 |\n"
printf "|---|---|---|---|---|---|---|---|\n"
paste <(grep '^follow' <<<"$ours") <(grep '^swift' <<<"$ours") | while read -r _ w h side _ fm ft ff _ _ _ _ _ _ st _; do
  printf "| %sx%s | %sx%s | %.1f | %.1f | %.2f | %.1f | %s | %.1f |\n" "$w" "$h" "$side" "$side" "$fm" "$rfollow" \
    "$(echo "$fm / $rfollow" | bc -l)" "$ft" "$ff" "$(echo "($st + 4 * $ft) / 5" | bc -l)"
done
echo
# The Swift network by stage: each stage's best decile over all rounds (the host's noise
# hits the whole-network medians above; the stages show where the time goes).
echo "The Swift network by stage, ms (best decile of each stage over the rounds):"
echo
printf "| frame | network input | stem | backbone (17 blocks) | neck + heads | whole network |\n|---|---|---|---|---|---|\n"
grep '^stages' <<<"$ourss" | awk '{k=$2"x"$3" | "$4"x"$5; for (i=6;i<=9;i++) if (!(k SUBSEP i in m) || $i+0 < m[k,i]+0) m[k,i]=$i; if (!(k in o)) {o[k]=n++; key[n-1]=k}}
  END {for (j=0;j<n;j++) {k=key[j]; printf "| %s | %.1f | %.1f | %.1f | %.1f |\n", k, m[k,6], m[k,7], m[k,8], m[k,9]}}'
echo
# Each backbone block at the 1280x720 row's input: best decile over the rounds, and its rate.
echo "Backbone blocks (MobileNetV2's inverted residuals, banded and channel-blocked) at 640x384, best decile over the rounds:"
echo
printf "| block | ms | GFLOP/s |\n|---|---|---|\n"
grep '^block 1280 720' <<<"$ourss" | awk '{i=$4; if (!(i in m) || $5+0 < m[i]+0) {m[i]=$5; g[i]=$6}; if ($4+0 > n) n=$4+0} END {for (i=1;i<=n;i++) printf "| %d | %.2f | %.0f |\n", i, m[i], g[i]}'
echo
echo "ratio = Swift / onnxruntime (≤ 1.0 means Swift is as fast or faster). onnxruntime $(python3 -c 'import onnxruntime; print(onnxruntime.__version__)'), ORT_ENABLE_ALL, weights removed from the graph inputs."
