#!/usr/bin/env bash
# The restoration model: Swift against PyTorch (its own framework), same weights, window
# sizes and thread count, in one run. Needs torch (pip). Prints a table.
# Run: bash scripts/bench-restore.sh [threads] [model.safetensors]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
model=${2:-Tests/Fixtures/restorer.safetensors}
swift build -c release --product swiftvr-bench 2>&1 | grep -E "error" || true
ref=$(python3 training/bench_restore_reference.py --model "$model" --threads "$threads")
all=$(SWIFTVR_THREADS=$threads .build/release/swiftvr-bench restore --model "$model")
ours=$(grep '^swift' <<<"$all")
echo "Restoration model, ms (median of 10), $threads threads, $(nproc) cores; weights: $model"
echo
echo "| crop | window T | Swift ms/window | PyTorch ms/window | ratio | Swift ms per face-frame | GFLOP per face-frame |"
echo "|---|---|---|---|---|---|---|"
paste <(echo "$ours") <(echo "$ref") | while read -r _ r t sw sf _ _ _ pw pf gf; do
  printf "| %s² | %s | %.1f | %.1f | %.2f | %.1f | %s |\n" "$r" "$t" "$sw" "$pw" "$(echo "$sw / $pw" | bc -l)" "$sf" "$gf"
done
echo
echo "As the element runs the causal model: one frame per call, three earlier frames as context (ms per face-frame; stages as best deciles):"
echo
echo "| crop | median | best decile | encoder + priors | restoration blocks | decoder |"
echo "|---|---|---|---|---|---|"
grep '^stream' <<<"$all" | while read -r _ r med p10 pr rs dc; do printf "| %s² | %s | %s | %s | %s | %s |\n" "$r" "$med" "$p10" "$pr" "$rs" "$dc"; done
echo
echo "The element's temporal blend (TemporalBlend, 3 earlier frames, on the pool's threads), ms per face-frame:"
echo
echo "| crop | ms |"
echo "|---|---|"
grep '^blend' <<<"$all" | while read -r _ r ms; do printf "| %s² | %s |\n" "$r" "$ms"; done
