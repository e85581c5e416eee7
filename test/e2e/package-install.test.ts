// The npm package as a user gets it: `npm pack`, then `npm install ./modalfuse-x.y.z.tgz`
// in an empty folder, offline, and the CLI and the README's TypeScript examples run from
// there. The install step really builds both addons (a few minutes on 2 cores).
//
// Offline: the folder starts with a package-lock.json holding the repository's locked
// production dependencies (version and integrity), so npm takes their tarballs from its
// cache, which `npm ci` filled; without it npm would ask the registry which versions
// exist, something `npm ci` never caches.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir, userErrorLine, type CliResult } from "../helpers/cli.js";

const work = tempDir("mf-package-");
let tarball = "";

/** This environment minus the npm settings of the `npm test` running it, which npm would read as its own. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...clean, MODALFUSE_THREADS: "2", ...extra };
}

function run(command: string, args: string[], cwd: string, extra: Record<string, string> = {}): CliResult {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", env: env(extra), maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const show = (r: CliResult) => `exit ${r.status}\n${r.stdout}\n${r.stderr}`;

/** An empty project whose lock pins modalfuse's dependencies as the repository locks them. */
function consumer(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `modalfuse-${name}`, private: true, type: "module" }));
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const packages = Object.fromEntries(Object.entries(lock.packages).filter(([path, entry]) => path !== "" && !entry.dev));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ name: `modalfuse-${name}`, lockfileVersion: 3, requires: true, packages: { "": { name: `modalfuse-${name}` }, ...packages } }));
  return dir;
}

function npmInstall(dir: string, extra: Record<string, string> = {}): CliResult {
  return run("npm", ["install", "--offline", "--no-audit", "--no-fund", tarball], dir, extra);
}

const modalfuse = (dir: string, args: string[], extra: Record<string, string> = {}) => run("npx", ["--no-install", "modalfuse", ...args], dir, extra);

before(() => {
  const r = run("npm", ["pack", "--pack-destination", work], REPO);
  assert.equal(r.status, 0, show(r));
  const name = readdirSync(work).find((f) => /^modalfuse-\d+\.\d+\.\d+\.tgz$/.test(f));
  assert.ok(name, show(r));
  tarball = join(work, name);
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the tarball holds the built library, the CLI, the native sources and their build scripts, and no tests", () => {
  const r = run("tar", ["-tzf", tarball], work);
  assert.equal(r.status, 0, show(r));
  const files = r.stdout.trim().split("\n").map((f) => f.replace(/^package\//, ""));
  for (const file of ["package.json", "README.md", "bin/modalfuse.js", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli.js", "dist/src/torch/index.js", "src/export/onnx/onnx.proto", "binding.gyp", "native/addon.cc", "native/common.h", "native/media/audio_decode.cc", "scripts/install.mjs", "scripts/libtorch.mjs", "scripts/media-libs.mjs"]) {
    assert.ok(files.includes(file), `${file} is not in the tarball`);
  }
  const unwanted = files.filter((f) => /^(dist\/(test|bench|examples)|test|bench|build|examples)\/|\.map$|\.ts$/.test(f) && !f.endsWith(".d.ts"));
  assert.deepEqual(unwanted, []);
});

test("without libtorch or a compiler the install finishes, and the first command says in one line what to install", { timeout: 300_000 }, () => {
  const dir = consumer("no-engine");
  const emptyTorch = tempDir("mf-no-libtorch-");
  // onnxruntime-node's install step downloads CUDA libraries; through a proxy that refuses
  // every connection it fails as it does without network, and npm leaves the optional package out.
  const install = npmInstall(dir, { LIBTORCH: emptyTorch, CXX: "/nonexistent/g++", GLOBAL_AGENT_HTTPS_PROXY: "http://127.0.0.1:9" });
  assert.equal(install.status, 0, show(install));
  assert.ok(existsSync(join(dir, "node_modules", "modalfuse", "dist", "src", "cli.js")));
  assert.ok(!existsSync(join(dir, "node_modules", "modalfuse", "build", "Release", "modalfuse_native.node")));

  const doctor = modalfuse(dir, ["doctor"]);
  const line = userErrorLine(doctor);
  assert.match(line, /libtorch \(LIBTORCH=.* holds none\), a C\+\+ compiler \(\/nonexistent\/g\+\+\) not found when modalfuse was installed/);
  assert.match(line, /`npx modalfuse setup` to install libtorch-dev g\+\+ with apt-get/);

  // The demo stops before writing its data set.
  assert.equal(userErrorLine(modalfuse(dir, ["demo", "--out", "runs/demo", "--samples", "20", "--epochs", "1", "--quiet"])), line);
  assert.ok(!existsSync(join(dir, "runs")));

  assert.ok(!existsSync(join(dir, "node_modules", "onnxruntime-node")), "onnxruntime-node's failed download left it installed");
  assert.match(userErrorLine(modalfuse(dir, ["predict", "runs/x", "--engine", "onnx", "--data", "x.csv", "--output", "p.csv"])), /--engine onnx needs onnxruntime-node.*ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node/);

  const setup = modalfuse(dir, ["setup", "--dry-run"]);
  assert.equal(setup.status, 0, show(setup));
  const lines = setup.stdout.trim().split("\n");
  assert.equal(lines.at(-1), `would run: ${process.execPath} ${join(dir, "node_modules", "modalfuse", "scripts", "install.mjs")} --strict`);
  for (const l of lines.filter((l) => l.includes("apt-get"))) assert.match(l, /^would run: (sudo )?(env DEBIAN_FRONTEND=noninteractive )?apt-get /);
});

/** A ```ts block of the README, by what it imports from. */
function readmeExample(module: string): string {
  const blocks = [...readFileSync(join(REPO, "README.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const block = blocks.find((b) => b.includes(`from "${module}";`));
  assert.ok(block, `no TypeScript example importing ${module} in the README`);
  return block;
}

test("with libtorch the install builds both addons; the demo and the README's examples run from the folder", { timeout: 900_000 }, () => {
  const dir = consumer("installed");
  const started = Date.now();
  // As the README's Install section says: keep onnxruntime-node's CPU build, fetch no CUDA libraries.
  const install = npmInstall(dir, { ONNXRUNTIME_NODE_INSTALL: "skip" });
  assert.equal(install.status, 0, show(install));
  console.log(`npm install with the native build: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const pkg = join(dir, "node_modules", "modalfuse");
  assert.ok(existsSync(join(pkg, "build", "Release", "modalfuse_native.node")), readFileSync(join(pkg, "build", "install.log"), "utf8"));
  const audioLibs = run(process.execPath, [join(REPO, "scripts", "media-libs.mjs"), "audio"], REPO).stdout === "1";
  assert.equal(existsSync(join(pkg, "build", "Release", "modalfuse_media.node")), audioLibs);
  assert.ok(existsSync(join(dir, "node_modules", "onnxruntime-node", "package.json")));

  const doctor = modalfuse(dir, ["doctor"]);
  assert.equal(doctor.status, 0, show(doctor));
  assert.match(doctor.stdout, /^libtorch +\d+\.\d+/m);
  assert.match(doctor.stdout, new RegExp(`^audio +${audioLibs ? "native" : "WebAssembly"}`, "m"));

  const demo = modalfuse(dir, ["demo", "--out", "runs/demo", "--samples", "40", "--epochs", "1", "--quiet"]);
  assert.equal(demo.status, 0, show(demo));
  for (const file of ["model.safetensors", "metrics.json", "report.html", "config.yaml"]) assert.ok(existsSync(join(dir, "runs", "demo", file)), file);

  // The README's examples, type-checked against the installed package's declarations, then run.
  writeFileSync(join(dir, "torch-example.ts"), readmeExample("modalfuse/torch"));
  writeFileSync(join(dir, "train-example.ts"), `${readmeExample("modalfuse")}console.log(JSON.stringify({ dir: run.dir, rows: rows.length, classes: model.classes }));\n`);
  const tsconfig = {
    compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, outDir: "out", typeRoots: [join(REPO, "node_modules", "@types")], types: ["node"] },
    files: ["torch-example.ts", "train-example.ts"],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  const tsc = run(process.execPath, [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], dir);
  assert.equal(tsc.status, 0, show(tsc));

  const torch = run(process.execPath, [join(dir, "out", "torch-example.js")], dir);
  assert.equal(torch.status, 0, show(torch));
  assert.ok(statSync(join(dir, "model.safetensors")).size > 1000);

  // train("config.yaml") beside its data: the demo's data set and config, new.csv its manifest again.
  const data = join(dir, "runs", "demo", "data");
  writeFileSync(join(data, "config.yaml"), readFileSync(join(dir, "runs", "demo", "config.yaml"), "utf8").replace("train: data/manifest.csv", "train: manifest.csv"));
  copyFileSync(join(data, "manifest.csv"), join(data, "new.csv"));
  const train = run(process.execPath, [join(dir, "out", "train-example.js")], data);
  assert.equal(train.status, 0, show(train));
  const result = JSON.parse(train.stdout.trim().split("\n").at(-1) as string) as { dir: string; rows: number; classes: string[] };
  assert.equal(result.dir, join(data, "runs", "x"));
  assert.equal(result.rows, 40);
  assert.deepEqual(result.classes, ["concert", "lecture", "sports"]);
});
