#!/usr/bin/env bash
# The GPU benchmark in one run, sized for a short device window (about 8 minutes on one H100):
#   1. the detector per batch size (backbone fp32 and fp16 on CUDA; kNN exact and through the IVF index), bank 20k
#   2. kNN queries/s on CUDA, exact and IVF at matched recall, banks of 20k, 200k and 1M x 128
#   3. the detector at bank 1M, exact and IVF
# Each step has its own time limit and writes its markdown table under $OUT (default target/gpu-bench), with the
# GPU's name and driver from nvidia-smi; a step that fails or runs out of time is recorded and the next one runs.
#
# Needs: a CLI jar built with the gpu profile (ONNX Runtime with the CUDA provider: ./mvnw -B -Pgpu -DskipTests
# package), CUDA 12 + cuDNN 9, Java 17, and the backbone in $TAILWATCH_MODEL_DIR (tailwatch models pull).
#   TAILWATCH_MODEL_DIR=/path/to/models bench/gpu.sh [path/to/tailwatch-tools-*-cli.jar]
set -uo pipefail
cd "$(dirname "$0")/.."
JAR="${1:-tools/target/tailwatch-tools-0.1.0-SNAPSHOT-cli.jar}"
OUT="${OUT:-target/gpu-bench}"
: "${TAILWATCH_MODEL_DIR:?set TAILWATCH_MODEL_DIR to the folder with the MobileNetV2 models}"
[ -f "$JAR" ] || { echo "no CLI jar at $JAR: build it with ./mvnw -B -Pgpu -DskipTests package" >&2; exit 2; }
command -v nvidia-smi >/dev/null || { echo "nvidia-smi not found: this script needs a CUDA GPU" >&2; exit 2; }
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.csv"
JAVA="java -Xmx24g -jar $JAR"
status=0

step() { # name, seconds, command...
  local name=$1 limit=$2; shift 2
  echo "== $name (limit ${limit} s)"
  local t0=$SECONDS
  if timeout "$limit" "$@" > "$OUT/$name.log" 2>&1; then
    echo "$name: ok in $((SECONDS - t0)) s" | tee -a "$OUT/steps.txt"
  else
    echo "$name: FAILED or timed out (exit $?) after $((SECONDS - t0)) s; see $OUT/$name.log" | tee -a "$OUT/steps.txt"
    status=1
  fi
}

step detector-20k 150 $JAVA bench detector --device cuda --backbone fp32 --batch-sizes 1,8,32,64 --frames 128 \
  --knn-precision fp32 --ivf-probes 0,16 --bank-size 20000 --tiled-side 0 --repeat 2 --out "$OUT/detector-20k.md"
step detector-20k-fp16 120 $JAVA bench detector --device cuda --backbone fp32 --precision fp16 --batch-sizes 8,32,64 \
  --frames 128 --knn-precision fp32 --ivf-probes 0,16 --bank-size 20000 --tiled-side 0 --repeat 2 \
  --out "$OUT/detector-20k-fp16.md"
step knn 150 $JAVA bench knn --device cuda --precision fp32 --bank-sizes 20000,200000,1000000 --dims 128 \
  --threads 1 --peers "" --ann 0.95,0.99 --repeat 2 --gemm-size 4096 --out "$OUT/knn.md"
step detector-1m 120 $JAVA bench detector --device cuda --backbone fp32 --batch-sizes 8,32 --frames 64 \
  --knn-precision fp32 --ivf-probes 0,16 --bank-size 1000000 --tiled-side 0 --repeat 1 --out "$OUT/detector-1m.md"
cat "$OUT"/*.md > "$OUT/gpu-bench.md" 2>/dev/null
echo "tables: $OUT/gpu-bench.md"
exit $status
