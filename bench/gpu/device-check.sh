#!/usr/bin/env bash
# Builds modalfuse on a GPU machine against its Python torch (a newer, CUDA libtorch) and
# checks what needs the GPU: the CUDA tests, then the speed benchmark with --device cuda,
# the engine benchmark on CUDA, and the whole test suite against that libtorch.
#
# Needs, carried beside the tree: dist/ (the TypeScript build) and .gpu/ holding
#   node.tar.xz           a Node.js 20 binary under bin/
#   node_modules.tar.xz   the production node_modules (and the test-only hyparquet-writer)
#   include/              node-api and node-addon-api headers
#   include-audio/, lib/  libsndfile's, libmpg123's (and libjpeg-turbo's) headers and shared libraries
# Writes logs and JSON figures to $OUT (or ./bench/out). Each step has its own time limit,
# so that one slow step still leaves the others' results.
set -uo pipefail
OUT=${OUT:-bench/out}
KIT=$PWD/.gpu
mkdir -p "$OUT" /tmp/node build/Release
tar -xJf "$KIT/node.tar.xz" -C /tmp/node
tar -xJf "$KIT/node_modules.tar.xz"
export PATH=/tmp/node/bin:$PATH
export LD_LIBRARY_PATH=$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export SNDFILE_LIBRARY=$KIT/lib/libsndfile.so.1
export MODALFUSE_REFERENCE_PYTHON=python3
export LIBTORCH=$(python3 -c "import os, torch; print(os.path.dirname(torch.__file__))")
node scripts/libtorch.mjs json > "$OUT/libtorch.json"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc; python3 -c "import torch; print(torch.__version__)"; } 2>&1 | tee "$OUT/machine.txt"

# The same flags binding.gyp gives node-gyp, without needing node-gyp's dependencies.
INCLUDES="-I$KIT/include $(node scripts/libtorch.mjs include | sed 's/[^ ]*/-I&/g')"
CFLAGS="-O2 -fPIC -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -Wno-deprecated-declarations $(node scripts/libtorch.mjs cflags)"
start=$(date +%s)
pids=()
for f in native/*.cc; do g++ $CFLAGS $INCLUDES -c "$f" -o "/tmp/$(basename "$f" .cc).o" 2>>"$OUT/build.log" & pids+=($!); done
# libjpeg-turbo's JPEG path too when the kit carries it (turbojpeg.h, libturbojpeg.so.0).
JPEG=()
[ -f "$KIT/include-audio/turbojpeg.h" ] && [ -f "$KIT/lib/libturbojpeg.so.0" ] && JPEG=(-DMF_TURBOJPEG native/media/image_decode.cc "$KIT/lib/libturbojpeg.so.0")
g++ -O3 -fPIC -fexceptions -std=c++17 -shared -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -I"$KIT/include" -I"$KIT/include-audio" native/media/audio_decode.cc "${JPEG[@]}" \
  "$KIT/lib/libsndfile.so.1" "$KIT/lib/libmpg123.so.0" -Wl,-rpath,"$KIT/lib" -o build/Release/modalfuse_media.node 2>>"$OUT/build.log" &
media=$!
for p in "${pids[@]}"; do wait "$p" || { echo "native build failed"; tail -40 "$OUT/build.log"; exit 1; }; done
g++ -shared /tmp/*.o -o build/Release/modalfuse_native.node $(node scripts/libtorch.mjs libs) 2>>"$OUT/build.log" || { tail -40 "$OUT/build.log"; exit 1; }
wait $media || echo "media addon not built (WebAssembly decoders will be used)"
echo "built in $(( $(date +%s) - start )) s"

node bin/modalfuse.js doctor 2>&1 | tee "$OUT/doctor.txt"

step() { # name, seconds, command...
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  echo "== $name: exit $? in $(( $(date +%s) - t0 )) s"
}
summary() { grep -E "^# (tests|pass|fail|skipped)" "$OUT/$1.log" | tr '\n' ' '; echo; grep -B2 -A14 "^not ok" "$OUT/$1.log" | head -60; }

# STEPS picks and orders what runs after the build (default: all of them).
for name in ${STEPS:-cuda-tests speed-cuda engine-cuda tests-all}; do
  case $name in
    cuda-tests) step cuda-tests 120 node --test dist/test/torch/cuda.test.js dist/test/torch/autocast.test.js dist/test/model/; summary cuda-tests ;;
    speed-cuda) step speed-cuda 200 node dist/bench/speed.js --device cuda --samples 2000 --epochs 6 --seed-epochs 4 --json "$OUT/speed-cuda.json"; tail -42 "$OUT/speed-cuda.log" ;;
    speed-cpu) step speed-cpu 200 node dist/bench/speed.js --device cpu --samples 2000 --epochs 4 --seed-epochs 3 --json "$OUT/speed-cpu.json"; tail -42 "$OUT/speed-cpu.log" ;;
    engine-cuda) step engine-cuda 120 node dist/bench/engine.js --device cuda --rounds 3 --steps32 300 --steps256 100 --rss-steps 500 --python python3 --json "$OUT/engine-cuda.json"; tail -12 "$OUT/engine-cuda.log" ;;
    tests-all) step tests-all 150 node --test dist/test/; summary tests-all ;;
  esac
done
