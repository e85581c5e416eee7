// What `modalfuse setup` finds on this machine: which of its Debian packages are installed,
// where libtorch is, and whether it can become root.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { UserError } from "../errors.js";
import { DEBIAN_PACKAGES, type System } from "./plan.js";

function onPath(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, name)));
}

/** Packages of DEBIAN_PACKAGES that dpkg does not list as installed; null without dpkg and apt-get. */
function notInstalled(): string[] | null {
  if (!onPath("dpkg-query") || !onPath("apt-get")) return null;
  const names = DEBIAN_PACKAGES.map((p) => p.name);
  // Exits 1 when some package is unknown to dpkg; stdout still lists the known ones.
  const r = spawnSync("dpkg-query", ["-W", "-f", "${Package} ${db:Status-Abbrev}\n", ...names], { encoding: "utf8" });
  const installed = new Set(
    r.stdout
      .split("\n")
      .map((line) => line.split(" "))
      .filter(([, status]) => status?.startsWith("ii"))
      .map(([name]) => name),
  );
  return names.filter((name) => !installed.has(name));
}

/** Where scripts/libtorch.mjs finds libtorch; a $LIBTORCH without one is the user's to fix. */
function libtorchSource(root: string): string | null {
  const r = spawnSync(process.execPath, [join(root, "scripts", "libtorch.mjs"), "json"], { encoding: "utf8" });
  if (r.status === 2) throw new UserError(r.stderr.trim().split("\n")[0] ?? "LIBTORCH holds no libtorch");
  if (r.status !== 0) return null;
  return (JSON.parse(r.stdout) as { source: string }).source;
}

export function probeSystem(root: string): System {
  return { notInstalled: notInstalled(), libtorchSource: libtorchSource(root), uid: process.getuid?.() ?? -1, hasSudo: onPath("sudo") };
}
