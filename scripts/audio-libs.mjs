#!/usr/bin/env node
// Prints 1 when libsndfile's and libmpg123's headers are installed, else 0: binding.gyp
// builds the native audio decoder only then. Without it modalfuse decodes audio with its
// WebAssembly decoders (slower, same results), and `modalfuse doctor` says so.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const roots = ["/usr/include", "/usr/local/include"];
const dirs = roots.flatMap((root) => {
  if (!existsSync(root)) return [];
  // Debian puts some headers under a multiarch folder, e.g. /usr/include/x86_64-linux-gnu.
  const multiarch = readdirSync(root).filter((name) => /-linux-gnu/.test(name)).map((name) => join(root, name));
  return [root, ...multiarch];
});
const has = (header) => dirs.some((dir) => existsSync(join(dir, header)));
process.stdout.write(has("sndfile.h") && has("mpg123.h") ? "1" : "0");
