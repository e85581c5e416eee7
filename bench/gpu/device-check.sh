#!/usr/bin/env bash
# Builds the addon on a GPU machine against its Python torch (a newer, CUDA libtorch),
# runs the engine tests there against that torch, then the engine benchmark on CUDA and
# on CPU. Needs, carried beside the tree: dist/ (the TypeScript build) and .gpu/ holding
# node.tar.xz (a Node.js 20 binary under bin/) and include/ (node-api and node-addon-api
# headers). Writes logs and JSON figures to $OUT (or ./bench/out).
set -uo pipefail
OUT=${OUT:-bench/out}
mkdir -p "$OUT" /tmp/node build/Release
tar -xJf .gpu/node.tar.xz -C /tmp/node
export PATH=/tmp/node/bin:$PATH
export LIBTORCH=$(python3 -c "import os, torch; print(os.path.dirname(torch.__file__))")
node scripts/libtorch.mjs json | tee "$OUT/libtorch.json"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

# The same flags binding.gyp gives node-gyp, without needing node-gyp's dependencies.
INCLUDES="-I.gpu/include $(node scripts/libtorch.mjs include | sed 's/[^ ]*/-I&/g')"
CFLAGS="-O2 -fPIC -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -Wno-deprecated-declarations $(node scripts/libtorch.mjs cflags)"
start=$(date +%s)
pids=()
for f in native/*.cc; do g++ $CFLAGS $INCLUDES -c "$f" -o "/tmp/$(basename "$f" .cc).o" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || { echo "native build failed"; exit 1; }; done
g++ -shared /tmp/*.o -o build/Release/modalfuse_native.node $(node scripts/libtorch.mjs libs) || exit 1
echo "built in $(( $(date +%s) - start )) s"

node --input-type=module -e 'import { doctor, formatDoctor } from "./dist/src/engine/doctor.js"; console.log(formatDoctor(doctor()));' | tee "$OUT/doctor.txt"
MODALFUSE_REFERENCE_PYTHON=python3 node --test dist/test/torch/ > "$OUT/tests.log" 2>&1
grep -E "^# (tests|pass|fail)" "$OUT/tests.log"; grep -A3 "^not ok" "$OUT/tests.log" | head -30
node dist/bench/engine.js --device cuda --threads 16 --rounds 3 --steps32 400 --steps256 150 --rss-steps 2000 --python python3 --json "$OUT/engine-cuda.json" 2>&1 | tee "$OUT/engine-cuda.log"
node dist/bench/engine.js --device cpu --threads 16 --rounds 1 --steps32 150 --steps256 30 --rss-steps 2000 --python python3 --json "$OUT/engine-cpu.json" 2>&1 | tee "$OUT/engine-cpu.log"
