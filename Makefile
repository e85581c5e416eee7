# `make test` and `make demo` install whatever is missing (libtorch, npm packages, the
# native build, the TypeScript build) and need nothing installed by hand beforehand.
SHELL := /bin/bash
NODE_SOURCES := $(sort $(shell find src test bench examples -name '*.ts' 2>/dev/null) src/torch/ops.generated.ts src/torch/functional.generated.ts)
# The op surface generated from the op table (scripts/ops/table.mjs); committed, so that a
# checkout and the npm package build without the generator.
GENERATED_OPS := native/ops.generated.cc src/torch/ops.generated.ts src/torch/functional.generated.ts
NATIVE_SOURCES := $(sort $(wildcard native/*.cc native/*.h native/media/*.cc) native/ops.generated.cc) binding.gyp scripts/libtorch.mjs scripts/media-libs.mjs
ADDON := build/Release/modalfuse_native.node
APT_STAMP := node_modules/.modalfuse-system-deps
# apt-get needs root: use sudo when make runs as another user.
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all test demo demo-seed deps build clean bench-engine bench-speed doctor

all: build

# Debian's libtorch (with its recommended OpenBLAS: without it libtorch falls back to the
# slow reference BLAS) with Gloo's headers for data-parallel training, and Debian's PyTorch, which tests and benchmarks compare against,
# with Pillow and soundfile for the tutorial's data pipeline in the speed benchmark, and
# libsndfile's and libmpg123's headers for the native audio decoder, libjpeg-turbo's
# for its JPEG path, Chromium, in which the served web page is tested, ONNX's checker
# for exported graphs, and torchvision, whose resnet18 the ResNet18 backbone is tested against.
$(APT_STAMP): package-lock.json Makefile
	@if ! node scripts/libtorch.mjs check || ! node scripts/libtorch.mjs gloo || ! /usr/bin/python3 -c 'import torch, PIL, soundfile, onnx, torchvision' 2>/dev/null || [ "$$(node scripts/media-libs.mjs audio)" != 1 ] || [ "$$(node scripts/media-libs.mjs jpeg)" != 1 ] || ! command -v chromium >/dev/null; then \
	  echo "installing libtorch-dev, libgloo-dev, python3-torch, python3-pil, python3-soundfile, libsndfile1-dev, libmpg123-dev, libturbojpeg0-dev, chromium, python3-onnx and python3-torchvision from Debian"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --install-recommends libtorch-dev libgloo-dev python3-torch libopenblas0 python3-pil python3-soundfile libsndfile1-dev libmpg123-dev libturbojpeg0-dev chromium python3-onnx python3-torchvision >/dev/null; \
	fi
	# onnxruntime-node's CPU binary is in its package; its install step would fetch CUDA libraries.
	ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
	@touch $@

deps: $(APT_STAMP)

# The generator rewrites only outputs whose text changed, so an unchanged table rebuilds nothing.
$(GENERATED_OPS) &: scripts/ops/table.mjs scripts/gen-ops.mjs
	node scripts/gen-ops.mjs

$(ADDON): $(APT_STAMP) $(NATIVE_SOURCES)
	npx node-gyp rebuild -j 2 --loglevel=warn

dist/.built: $(APT_STAMP) $(NODE_SOURCES) tsconfig.json
	npx tsc -p tsconfig.json
	@touch $@

build: $(ADDON) dist/.built

test: build
	npm test

# The demo data set, trained with the standard preset, into runs/demo/.
demo: build
	node bin/modalfuse.js demo --out runs/demo

# The same data with the tutorial's architecture, for comparison.
demo-seed: build
	node bin/modalfuse.js demo --out runs/demo-seed --preset seed

doctor: build
	node bin/modalfuse.js doctor

bench-engine: build
	npm run bench:engine

bench-speed: build
	npm run bench:speed

clean:
	rm -rf build dist
