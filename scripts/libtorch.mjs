#!/usr/bin/env node
// Finds the libtorch that the native addon builds against, in SPEC.md's order:
// $LIBTORCH, then a Python torch installation that ships headers and libraries,
// then the system's (Debian's libtorch-dev).
//
//   node scripts/libtorch.mjs json      everything found, as JSON
//   node scripts/libtorch.mjs include   include folders (for binding.gyp)
//   node scripts/libtorch.mjs libs      linker flags (for binding.gyp)
//   node scripts/libtorch.mjs cflags    compiler flags (C++ standard, ABI define, c10d's Gloo where found)
//   node scripts/libtorch.mjs check     exit 1 when none is found (for the Makefile)
//   node scripts/libtorch.mjs gloo      exit 1 when c10d's Gloo process group cannot be built
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

function hasLib(dir, name) {
  return existsSync(join(dir, `lib${name}.so`));
}

/** A folder with include/ and lib/ holding libtorch, as in an unpacked LibTorch or pip's torch/. */
function fromRoot(root, source) {
  const include = join(root, "include");
  const lib = join(root, "lib");
  if (!existsSync(join(include, "torch", "csrc", "api", "include", "torch", "torch.h"))) return null;
  if (!hasLib(lib, "torch_cpu") && !hasLib(lib, "torch")) return null;
  return describe(source, root, [include, join(include, "torch", "csrc", "api", "include")], lib, join(root, "share", "cmake", "Torch", "TorchConfig.cmake"));
}

function fromPython() {
  for (const python of ["python3", "/usr/bin/python3"]) {
    let dir;
    try {
      dir = execFileSync(python, ["-c", "import os, torch; print(os.path.dirname(torch.__file__))"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 60_000,
      }).trim();
    } catch {
      continue;
    }
    const found = dir && fromRoot(dir, `python torch (${python})`);
    if (found) return found;
  }
  return null;
}

function fromSystem() {
  const include = "/usr/include";
  if (!existsSync(join(include, "torch", "csrc", "api", "include", "torch", "torch.h"))) return null;
  for (const lib of ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"]) {
    if (hasLib(lib, "torch_cpu") || hasLib(lib, "torch")) {
      return describe("system", "/usr", [include, join(include, "torch", "csrc", "api", "include")], lib, join(lib, "cmake", "Torch", "TorchConfig.cmake"));
    }
  }
  return null;
}

function readVersion(includeDirs, root) {
  // A pip install states its version in torch/version.py; headers are the fallback.
  const versionPy = join(root, "version.py");
  if (existsSync(versionPy)) {
    const m = readFileSync(versionPy, "utf8").match(/__version__\s*=\s*['"]([^'"+]+)/);
    if (m) return m[1];
  }
  for (const dir of [...includeDirs, ...includeDirs.map((d) => join(d, "torch", "headeronly"))]) {
    const file = join(dir, "torch", "version.h");
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const m = text.match(/#define TORCH_VERSION\s+\\?\s*"([^"]+)"/);
    if (m) return m[1];
    const parts = ["MAJOR", "MINOR", "PATCH"].map((p) => text.match(new RegExp(`TORCH_VERSION_${p}\\s+(\\d+)`))?.[1]);
    if (parts.every(Boolean)) return parts.join(".");
  }
  return "unknown";
}

/** The C++ ABI libtorch was built with; a mismatch gives undefined symbols at load time. */
function readAbi(cmakeConfig) {
  if (existsSync(cmakeConfig)) {
    const m = readFileSync(cmakeConfig, "utf8").match(/_GLIBCXX_USE_CXX11_ABI=([01])/);
    if (m) return m[1];
  }
  return "1";
}

/** libtorch 2.12 and later need C++20 in any code that includes ATen; before that, C++17. */
function cxxStandard(version) {
  const [major, minor] = version.split(".").map(Number);
  return major > 2 || (major === 2 && minor >= 12) ? "-std=c++20" : "-std=c++17";
}

/**
 * Whether c10d's Gloo process group can be compiled: libtorch's c10d headers and Gloo's own
 * (Debian's libgloo-dev; pip wheels ship the first but not the second).
 */
function hasGloo(includeDirs) {
  const c10d = includeDirs.some((d) => existsSync(join(d, "torch", "csrc", "distributed", "c10d", "ProcessGroupGloo.hpp")));
  const gloo = [...includeDirs, "/usr/include", "/usr/local/include"].some((d) => existsSync(join(d, "gloo", "config.h")));
  return c10d && gloo;
}

function describe(source, root, includeDirs, libDir, cmakeConfig) {
  const libs = readdirSync(libDir);
  const cuda = libs.includes("libtorch_cuda.so");
  return { source, root, includeDirs, libDir, version: readVersion(includeDirs, root), cuda, abi: readAbi(cmakeConfig), gloo: hasGloo(includeDirs) };
}

function find() {
  const env = process.env.LIBTORCH;
  if (env) {
    const found = fromRoot(env, "$LIBTORCH");
    if (!found) {
      console.error(`LIBTORCH=${env} has no include/torch/csrc/api/include/torch/torch.h and lib/libtorch*.so`);
      process.exit(2);
    }
    return found;
  }
  return fromPython() ?? fromSystem();
}

const found = find();
const what = process.argv[2] ?? "json";
if (what === "check") process.exit(found ? 0 : 1);
if (what === "gloo") process.exit(found?.gloo ? 0 : 1);
if (!found) {
  console.error("no libtorch found: set LIBTORCH, install a Python torch, or apt-get install libtorch-dev");
  process.exit(1);
}
if (what === "json") console.log(JSON.stringify(found, null, 2));
else if (what === "include") console.log(found.includeDirs.join(" "));
else if (what === "cflags") console.log(`${cxxStandard(found.version)} -D_GLIBCXX_USE_CXX11_ABI=${found.abi}${found.gloo ? " -DUSE_C10D_GLOO -DMF_C10D_GLOO" : ""}`);
else if (what === "libs") {
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is used directly:
  // without it the CUDA kernels never register.
  const cuda = found.cuda ? ["-ltorch_cuda", "-lc10_cuda"] : [];
  const torch = existsSync(join(found.libDir, "libtorch.so")) ? ["-ltorch"] : [];
  console.log([`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`, "-Wl,--no-as-needed", ...torch, "-ltorch_cpu", ...cuda, "-lc10", "-Wl,--as-needed"].join(" "));
} else {
  console.error(`unknown request: ${what}`);
  process.exit(2);
}
