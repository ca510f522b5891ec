#!/usr/bin/env bash
# gridtime bench at every vector width this machine runs, each beside the PyTorch trainer of the same setting when
# one is given, taking turns in one sitting (nothing else may run: the machine's cores are all measured).
#   tools/bench-every-width.sh OUT_FOLDER [PEER_SCRIPT] [BENCH_ARGS...]
# OUT_FOLDER must not exist yet, or be empty. Without a peer but with bench arguments, give "" as PEER_SCRIPT:
#   tools/bench-every-width.sh OUT "" --full-work
# Widths: 512 where the processor has AVX-512; 256 and 128 as an AVX2 processor runs them (DOTNET_EnableAVX512=0:
# 16 vector registers, 256 bits detected as the widest). The peer (e.g. ../shared/peer/refa3c.py) runs with Debian's
# PyTorch + OpenBLAS, OMP_NUM_THREADS=1, 2 workers x 32 environments, NAC core, 75 s after 15 s of warm-up; before
# and after every bench: beside the AVX2 widths with OpenBLAS's Haswell (AVX2) kernels (OPENBLAS_CORETYPE=Haswell),
# before the 512-bit bench and after the last one with OpenBLAS's own choice.
# Without OpenBLAS under the peer's PyTorch (Debian's falls back to the reference BLAS) it stops first: one line, exit 2.
# Writes OUT_FOLDER/NN-NAME.log, one per measurement, in the order taken.
set -euo pipefail
usage="usage: tools/bench-every-width.sh OUT_FOLDER [PEER_SCRIPT] [BENCH_ARGS...] (PEER_SCRIPT \"\" for none)"
if [ $# -lt 1 ] || [ -z "$1" ] || [[ $1 == -* ]]; then
  echo "$usage" >&2
  exit 2
fi
out=$1
peer=${2:-}
if [[ $peer == -* ]]; then
  echo "$peer is not a peer script: bench arguments follow the peer, \"\" for none ($usage)" >&2
  exit 2
fi
if [ -n "$peer" ] && [ ! -f "$peer" ]; then
  echo "no peer script at $peer" >&2
  exit 2
fi
if [ -e "$out" ] && { [ ! -d "$out" ] || [ -L "$out" ] || [ -n "$(ls -A -- "$out")" ]; }; then
  echo "$out already exists and is not an empty folder: give a new one (its logs would be mixed with the ones there)" >&2
  exit 2
fi
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")/.." && pwd)
gridtime="$here/Training/Cli/bin/Release/net10.0/gridtime.dll"
# The peer is measured against OpenBLAS. Debian's PyTorch without libopenblas0-pthread loads the reference BLAS (the
# libblas.so.3 that the alternatives system points to) and trains several times slower (1,600 against 9,700 frames/s on a
# Zen 5), which would make every ratio wrong.
if [ -n "$peer" ]; then
  if ! maps=$(/usr/bin/python3 -c 'import torch; torch.mm(torch.ones(2, 2), torch.ones(2, 2)); print(open("/proc/self/maps").read())' 2>&1); then
    echo "/usr/bin/python3 cannot run PyTorch for the peer ($(tail -n 1 <<< "$maps")); install it first: apt-get install python3-torch libopenblas0-pthread" >&2
    exit 2
  fi
  blas=$(grep -o '/[^ ]*/libblas\.so[^ ]*' <<< "$maps" | sort -u | paste -sd ' ' || true)
  case "$blas" in
    *openblas*) ;;
    *) echo "the peer's PyTorch does not run on OpenBLAS (its libblas.so.3: ${blas:-none loaded}); install it (apt-get install libopenblas0-pthread) or point libblas.so.3 at it (update-alternatives --config libblas.so.3-x86_64-linux-gnu)" >&2
       exit 2 ;;
  esac
fi

mkdir -p -- "$out"
step=0

run() { # NAME COMMAND...
  step=$((step + 1))
  local log
  log=$(printf '%s/%02d-%s.log' "$out" "$step" "$1")
  shift
  echo "== $(date -u +%H:%M:%S) $log: $*"
  "$@" > "$log" 2>&1
}

peer_run() { # NAME [ENV...]
  [ -n "$peer" ] || return 0
  local name=$1
  shift
  run "$name" env OMP_NUM_THREADS=1 "$@" /usr/bin/python3 "$peer" train --style batched --workers 2 --envs 32 --core nac --seconds 75 --warmup 15
}

avx512=$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)
if [ "$avx512" = yes ]; then
  peer_run peer-openblas-default
  run gridtime-simd512 env GRIDTIME_SIMD=512 dotnet "$gridtime" bench "$@"
fi
peer_run peer-openblas-haswell OPENBLAS_CORETYPE=Haswell
run gridtime-simd256-avx2 env DOTNET_EnableAVX512=0 GRIDTIME_SIMD=256 dotnet "$gridtime" bench "$@"
peer_run peer-openblas-haswell OPENBLAS_CORETYPE=Haswell
run gridtime-simd128-avx2 env DOTNET_EnableAVX512=0 GRIDTIME_SIMD=128 dotnet "$gridtime" bench "$@"
# Every bench has the peer on both sides; on this last turn OpenBLAS picks its kernels itself.
peer_run peer-openblas-default
echo "== $(date -u +%H:%M:%S) done: $out"
