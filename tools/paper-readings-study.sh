#!/bin/bash
# The paper's open readings (docs/task.md), baseline against nac: today's default, each reading changed alone, and
# the combination most faithful to the text; 3 seeds, 3M frames each, every run represented by the best of its last
# 4 checkpoints on training-range validation (T 5..12), evaluated on T = 1..60 with 100 sampled episodes per T.
# Then how each agent fails beyond the training range (tools/failure_modes.py). About 90 minutes of training on a
# 2-core machine; rerun the same command to finish what was interrupted.
#   usage: tools/paper-readings-study.sh [FOLDER]   (default runs/paper-readings)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-runs/paper-readings}"
gridtime="$here/gridtime"
common=(--seeds 3 --frames 3e6 --t-to 60 --episodes 100)
study() { local name=$1; shift; "$gridtime" sweep --run-dir "$out/$name" "${common[@]}" "$@"; }
study default --agents baseline,nac
study faithful --agents baseline,nac --reward-shape unclipped --instruction-shown first-step --agent-start centre --arithmetic-input instruction
study unclipped --agents baseline,nac --reward-shape unclipped
study first-step --agents baseline,nac --instruction-shown first-step
study centre --agents baseline,nac --agent-start centre
study instruction-only --agents nac --arithmetic-input instruction
/usr/bin/python3 "$here/failure_modes.py" "$out"/{default,faithful,unclipped,first-step,centre,instruction-only}
