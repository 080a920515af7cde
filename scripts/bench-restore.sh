#!/usr/bin/env bash
# The restoration model: Swift against PyTorch (its own framework), same weights, window
# sizes and thread count, in one run. Needs torch (pip). Prints a table.
# Run: bash scripts/bench-restore.sh [threads] [model.safetensors]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
model=${2:-models/swiftvr-restorer.safetensors}
swift build -c release --product swiftvr-bench 2>&1 | grep -E "error" || true
ref=$(python3 training/bench_restore_reference.py --model "$model" --threads "$threads")
all=$(SWIFTVR_THREADS=$threads .build/release/swiftvr-bench restore --model "$model")
ours=$(grep '^swift' <<<"$all")
square=$(SWIFTVR_THREADS=$threads .build/release/swiftvr-bench sgemm | awk '/square 512/ {print $5}')
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
echo "| crop | median | best decile | encoder + priors | restoration blocks | decoder | GFLOP/s at the best decile | share of SGEMM ($square GFLOP/s, square 512, same run) |"
echo "|---|---|---|---|---|---|---|---|"
grep '^stream' <<<"$all" | while read -r _ r med p10 pr rs dc; do
  gf=$(awk -v r="$r" '$1 == "torch" && $2 == r && $3 == 1 {print $6}' <<<"$ref")
  rate=$(echo "$gf * 1000 / $p10" | bc -l)
  printf "| %s² | %s | %s | %s | %s | %s | %.1f | %.0f %% |\n" "$r" "$med" "$p10" "$pr" "$rs" "$dc" "$rate" "$(echo "100 * $rate / $square" | bc -l)"
done
echo
echo "The element's temporal blend (TemporalBlend, 3 earlier frames, on the pool's threads), ms per face-frame:"
echo
echo "| crop | ms |"
echo "|---|---|"
grep '^blend' <<<"$all" | while read -r _ r ms; do printf "| %s² | %s |\n" "$r" "$ms"; done
