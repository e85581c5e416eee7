// What `modalfuse setup` runs: apt-get for the Debian packages the engine and the media
// decoders build against (only those not installed yet), then the native build. Pure, so
// that the choice is tested without a package manager.
import { UserError } from "../errors.js";

/** The Debian packages, and why modalfuse wants each. */
export const DEBIAN_PACKAGES: readonly { name: string; why: string; libtorch?: true }[] = [
  { name: "libtorch-dev", why: "libtorch, the engine", libtorch: true },
  // Without it Debian's libtorch falls back to the slow reference BLAS.
  { name: "libopenblas0", why: "OpenBLAS for Debian's libtorch", libtorch: true },
  // Gloo's headers, for data-parallel training (c10d) against Debian's libtorch.
  { name: "libgloo-dev", why: "data-parallel training (train --nproc)", libtorch: true },
  { name: "libsndfile1-dev", why: "the native audio decoder" },
  { name: "libmpg123-dev", why: "MP3 in the native audio decoder" },
  { name: "libturbojpeg0-dev", why: "the native JPEG decoder" },
  { name: "g++", why: "compiles the addons" },
  { name: "make", why: "runs node-gyp's build" },
  { name: "python3", why: "runs node-gyp's gyp" },
];

export interface System {
  /** Packages of DEBIAN_PACKAGES not installed; null where there is no dpkg/apt-get. */
  notInstalled: string[] | null;
  /** Where libtorch was found (scripts/libtorch.mjs), or null. */
  libtorchSource: string | null;
  uid: number;
  hasSudo: boolean;
}

export interface Plan {
  /** Commands to run in order, each as argv. */
  commands: string[][];
  /** Said before running them. */
  notes: string[];
}

/** The packages to install: a libtorch found elsewhere ($LIBTORCH, a Python torch) needs no Debian one. */
export function packagesToInstall(system: System): string[] {
  const ownTorch = system.libtorchSource !== null && system.libtorchSource !== "system";
  const wanted = new Set(DEBIAN_PACKAGES.filter((p) => !(ownTorch && p.libtorch)).map((p) => p.name));
  return (system.notInstalled ?? []).filter((name) => wanted.has(name));
}

export function setupPlan(system: System, build: string[]): Plan {
  const notes: string[] = [];
  const commands: string[][] = [];
  if (system.notInstalled === null) {
    notes.push("no apt-get here (not Debian or Ubuntu): install libtorch (or set LIBTORCH), g++, make and python3 yourself; building with what is there");
  } else {
    const install = packagesToInstall(system);
    if (install.length) {
      const sudo = system.uid === 0 ? [] : system.hasSudo ? ["sudo"] : null;
      if (sudo === null) {
        throw new UserError(`setup installs ${install.join(" ")} with apt-get, which needs root: run it as root or with sudo, or run \`apt-get install ${install.join(" ")}\` as root and then \`npx modalfuse setup\``);
      }
      commands.push([...sudo, "apt-get", "update", "-qq"]);
      commands.push([...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", ...install]);
    } else notes.push("the Debian packages modalfuse needs are installed");
  }
  if (system.libtorchSource !== null && system.libtorchSource !== "system") notes.push(`libtorch: ${system.libtorchSource}`);
  commands.push(build);
  return { commands, notes };
}
