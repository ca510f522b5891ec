#!/bin/bash
# The table of docs/results.md "a timer that keeps exact time from the reward alone, beside the other agents": the
# paper's agents and the counter (6M frames), the timer with its supervised time-left loss and the reward-only timer
# (4M frames), 5 seeds each, trained on T 5..12; every run represented by the best of its last 4 checkpoints on
# training-range validation episodes; greedy, T = 1..100 with 100 episodes per T, then T = 200, 500, 1000 and 10,000
# (200 episodes per T for the timers, 20 for the others, which time out there). About 2 hours on a 2-core machine;
# rerun the same command to finish what was interrupted (finished cells and evaluations are kept).
#   usage: tools/time-from-reward-study.sh [FOLDER]   (default runs/time-from-reward)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-runs/time-from-reward}"
gridtime="$here/gridtime"
evaluation=(--seeds 5 --greedy --t-to 100 --episodes 100)
"$gridtime" sweep --run-dir "$out/paper" --agents baseline,nac,counter --frames 6e6 "${evaluation[@]}"
"$gridtime" sweep --run-dir "$out/timer" --agents timer --frames 4e6 --entropy-coef 0.05 "${evaluation[@]}"
"$gridtime" sweep --run-dir "$out/reward-only" --agents timer --frames 4e6 --entropy-coef 0.05 \
  --time-left-readout difference --time-left-loss 0 --time-left-gradient all "${evaluation[@]}"
for sweep in paper timer reward-only; do
  for cell in "$out/$sweep"/*-s[0-9]*; do
    far="$out/far/$sweep/$(basename "$cell")"
    [ -f "$far/eval.csv" ] && continue
    episodes=$([ "$sweep" = paper ] && echo 20 || echo 200)
    "$gridtime" eval --run "$cell" --greedy --t-list 200,500,1000,10000 --episodes "$episodes" --out "$far"
  done
done
/usr/bin/python3 "$here/time_table.py" "paper=$out/paper" "timer=$out/timer" "reward-only timer=$out/reward-only" --far "$out/far"
