// What `modalfuse setup` would run on machines it cannot be tried on here: root or not,
// with or without sudo, Debian's libtorch or another one, no apt-get at all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UserError } from "../../src/errors.js";
import { DEBIAN_PACKAGES, setupPlan, type System } from "../../src/setup/plan.js";

const BUILD = ["node", "scripts/install.mjs", "--strict"];
const ALL = DEBIAN_PACKAGES.map((p) => p.name);
const system = (over: Partial<System>): System => ({ notInstalled: ALL, libtorchSource: null, uid: 0, hasSudo: false, ...over });
const aptInstall = (plan: { commands: string[][] }) => plan.commands.find((c) => c.includes("install") && c.includes("apt-get"));

test("as root it installs every missing package with apt-get, then builds", () => {
  const plan = setupPlan(system({}), BUILD);
  assert.deepEqual(plan.commands, [
    ["apt-get", "update", "-qq"],
    ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", ...ALL],
    BUILD,
  ]);
  assert.deepEqual(ALL, ["libtorch-dev", "libopenblas0", "libgloo-dev", "libsndfile1-dev", "libmpg123-dev", "libturbojpeg0-dev", "g++", "make", "python3"]);
});

test("as another user it goes through sudo, or says in one line what to run as root", () => {
  const plan = setupPlan(system({ uid: 1000, hasSudo: true, notInstalled: ["g++"] }), BUILD);
  assert.deepEqual(plan.commands.slice(0, 2), [
    ["sudo", "apt-get", "update", "-qq"],
    ["sudo", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "g++"],
  ]);
  assert.throws(
    () => setupPlan(system({ uid: 1000, hasSudo: false, notInstalled: ["libtorch-dev", "make"] }), BUILD),
    (e: unknown) => e instanceof UserError && /root or with sudo/.test(e.message) && e.message.includes("apt-get install libtorch-dev make") && !e.message.includes("\n"),
  );
});

test("a libtorch from $LIBTORCH or a Python torch needs no Debian libtorch or its OpenBLAS", () => {
  const own = setupPlan(system({ libtorchSource: "python torch (python3)" }), BUILD);
  assert.ok(!aptInstall(own)?.includes("libtorch-dev") && !aptInstall(own)?.includes("libopenblas0"));
  assert.ok(aptInstall(own)?.includes("libsndfile1-dev"));
  const debian = setupPlan(system({ libtorchSource: "system", notInstalled: ["libopenblas0"] }), BUILD);
  assert.ok(aptInstall(debian)?.includes("libopenblas0"));
});

test("with everything installed, or without apt-get, it only builds", () => {
  const done = setupPlan(system({ notInstalled: [], uid: 1000 }), BUILD);
  assert.deepEqual(done.commands, [BUILD]);
  const other = setupPlan(system({ notInstalled: null, uid: 1000 }), BUILD);
  assert.deepEqual(other.commands, [BUILD]);
  assert.match(other.notes.join("\n"), /no apt-get here/);
});
