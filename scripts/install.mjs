#!/usr/bin/env node
// Builds modalfuse's two native addons with node-gyp: npm's install step (package.json
// "install") and the last step of `modalfuse setup`.
//
//   node scripts/install.mjs            npm install: builds when libtorch, a C++ compiler,
//                                       make and python3 are found; exits 0 either way
//   node scripts/install.mjs --strict   setup: always builds, output shown, exit 1 on failure
//
// npm hides an install step's output unless it fails, and a failed step fails the whole
// `npm install`; so without what the build needs the install still succeeds, and
// build/install-status.json says what was missing: the first command that needs the
// engine turns it into one line naming what to install (src/torch/build-status.ts).
// MODALFUSE_SKIP_BUILD=1 skips the build (e.g. to build later with `npx modalfuse setup`).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const strict = process.argv.includes("--strict");
const STATUS = join(root, "build", "install-status.json");
const LOG = join(root, "build", "install.log");

/** The first executable named `name` on PATH (or the path itself when it has a slash). */
function which(name) {
  if (name.includes("/")) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** What the build needs and lacks: what it is, and the Debian package that provides it. */
function missingTools() {
  const missing = [];
  const libtorch = spawnSync(process.execPath, [join(root, "scripts", "libtorch.mjs"), "check"], { encoding: "utf8" });
  if (libtorch.status !== 0) {
    // libtorch.mjs exits 2 when $LIBTORCH is set but holds no libtorch: the search stops there.
    const what = libtorch.status === 2 ? `libtorch (LIBTORCH=${process.env.LIBTORCH} holds none)` : "libtorch";
    missing.push({ what, apt: "libtorch-dev" });
  }
  // make's default C++ compiler is g++; gyp's Makefiles use $CXX when it is set.
  const cxx = (process.env.CXX ?? "").trim().split(/\s+/)[0] || "g++";
  if (!which(cxx)) missing.push({ what: `a C++ compiler (${cxx})`, apt: "g++" });
  if (!which("make")) missing.push({ what: "make", apt: "make" });
  // node-gyp runs gyp with Python 3 ($PYTHON, npm's python setting, or python3 on PATH).
  const python = process.env.PYTHON ?? process.env.npm_config_python ?? "python3";
  if (!which(python)) missing.push({ what: `Python 3 (${python})`, apt: "python3" });
  return missing;
}

/**
 * The folder holding the running Node's own headers (include/node, as Node's tarballs and
 * NodeSource's and Debian's packages install them), so node-gyp needs no download.
 */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return null; // the user's choice stands
  const prefix = dirname(dirname(process.execPath));
  const version = join(prefix, "include", "node", "node_version.h");
  if (!existsSync(version) || !existsSync(join(prefix, "include", "node", "common.gypi"))) return null;
  const text = readFileSync(version, "utf8");
  const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
  return `${part("MAJOR")}.${part("MINOR")}.${part("PATCH")}` === process.versions.node ? prefix : null;
}

function writeStatus(status) {
  mkdirSync(dirname(STATUS), { recursive: true });
  writeFileSync(STATUS, `${JSON.stringify(status, null, 2)}\n`);
}

/** node-gyp rebuild; resolves to its exit code and everything it printed. */
function build() {
  const gyp = createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
  const nodedir = localNodeDir();
  const args = [gyp, "rebuild", "-j", "max", "--loglevel=warn", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const chunks = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream.on("data", (chunk) => {
        chunks.push(chunk);
        if (strict) process.stderr.write(chunk);
      });
    }
    child.on("error", (error) => done({ code: 1, output: String(error) }));
    child.on("close", (code) => done({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
  });
}

async function main() {
  // `npm ci` in a checkout of modalfuse runs this too; there `make build` builds.
  const local = process.env.npm_config_local_prefix;
  if (!strict && local && resolve(local) === root) return;
  if (!strict && process.env.MODALFUSE_SKIP_BUILD) {
    writeStatus({ built: false, skipped: "MODALFUSE_SKIP_BUILD was set", missing: [] });
    console.log("modalfuse: native build skipped (MODALFUSE_SKIP_BUILD); build it with `npx modalfuse setup`");
    return;
  }
  const missing = missingTools();
  if (missing.length) {
    writeStatus({ built: false, missing });
    const line = `modalfuse: native engine not built, missing ${missing.map((m) => m.what).join(", ")}`;
    if (strict) {
      console.error(line);
      process.exitCode = 1;
    } else console.log(`${line}: run \`npx modalfuse setup\``);
    return;
  }
  const { code, output } = await build();
  // node-gyp rebuild empties build/ first, so the status and log are written after it.
  mkdirSync(dirname(LOG), { recursive: true });
  writeFileSync(LOG, output);
  const built = code === 0 && existsSync(join(root, "build", "Release", "modalfuse_native.node"));
  writeStatus({ built, missing: [], ...(built ? {} : { log: LOG }) });
  if (built) console.log("modalfuse: native engine built");
  else if (strict) {
    console.error(`modalfuse: the native build failed (node-gyp exit ${code}; output above and in ${LOG})`);
    process.exitCode = 1;
  } else console.log(`modalfuse: the native build failed (see ${LOG}): run \`npx modalfuse setup\` to retry`);
}

await main();
