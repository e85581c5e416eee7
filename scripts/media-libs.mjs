#!/usr/bin/env node
// `media-libs.mjs audio` prints 1 when libsndfile's (1.1 or later, which knows MPEG) and libmpg123's headers are
// installed, else 0: binding.gyp builds the native audio decoder only then, and make
// installs them when it prints 0. Without it modalfuse decodes audio with its WebAssembly
// decoders (slower, same results), and `modalfuse doctor` says so.
// `media-libs.mjs jpeg` prints 1 when libjpeg-turbo's TurboJPEG header is installed, for the
// native JPEG path of the same addon (without it sharp decodes every image).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const roots = ["/usr/include", "/usr/local/include"];
const dirs = roots.flatMap((root) => {
  if (!existsSync(root)) return [];
  // Debian puts some headers under a multiarch folder, e.g. /usr/include/x86_64-linux-gnu.
  const multiarch = readdirSync(root).filter((name) => /-linux-gnu/.test(name)).map((name) => join(root, name));
  return [root, ...multiarch];
});
const find = (header) => dirs.map((dir) => join(dir, header)).find((path) => existsSync(path));
if (process.argv[2] === "jpeg") {
  process.stdout.write(find("turbojpeg.h") !== undefined ? "1" : "0");
  process.exit(0);
}
const sndfile = find("sndfile.h");
const usable = sndfile !== undefined && readFileSync(sndfile, "utf8").includes("SF_FORMAT_MPEG") && find("mpg123.h") !== undefined;
process.stdout.write(usable ? "1" : "0");
