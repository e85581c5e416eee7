// The line a command prints when the engine is not built, from what the install step
// recorded in build/install-status.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadFailedMessage, notBuiltMessage } from "../../src/torch/build-status.js";

function installedRoot(status?: object): string {
  const root = mkdtempSync(join(tmpdir(), "mf-status-"));
  if (status) {
    mkdirSync(join(root, "build"));
    writeFileSync(join(root, "build", "install-status.json"), JSON.stringify(status));
  }
  return root;
}
const FILE = "/x/build/Release/modalfuse_native.node";

test("what the install lacked is named, with the Debian packages that `setup` installs", () => {
  const root = installedRoot({ built: false, missing: [{ what: "libtorch", apt: "libtorch-dev" }, { what: "a C++ compiler (g++)", apt: "g++" }] });
  const line = notBuiltMessage(root, FILE);
  assert.match(line, /libtorch, a C\+\+ compiler \(g\+\+\) not found when modalfuse was installed/);
  assert.match(line, /`npx modalfuse setup` to install libtorch-dev g\+\+ with apt-get/);
  assert.ok(!line.includes("\n"));
});

test("a failed build points at its log; a skipped or never-run install step at `setup`", () => {
  assert.match(notBuiltMessage(installedRoot({ built: false, missing: [], log: "/x/build/install.log" }), FILE), /failed to build .*\/x\/build\/install\.log.*npx modalfuse setup/);
  assert.match(notBuiltMessage(installedRoot({ built: false, missing: [], skipped: "MODALFUSE_SKIP_BUILD was set" }), FILE), /MODALFUSE_SKIP_BUILD .*npx modalfuse setup/);
  assert.match(notBuiltMessage(installedRoot(), FILE), /modalfuse_native\.node is missing.*npx modalfuse setup.*libtorch-dev, g\+\+ and make/);
});

test("in a checkout, make builds", () => {
  const root = installedRoot({ built: false, missing: [{ what: "libtorch", apt: "libtorch-dev" }] });
  writeFileSync(join(root, "Makefile"), "");
  assert.match(notBuiltMessage(root, FILE), /run `make build`/);
  assert.match(loadFailedMessage(root, new Error("libtorch_cpu.so: cannot open shared object file\nmore")), /does not load \(libtorch_cpu\.so: cannot open shared object file\): run `make clean build`/);
});
