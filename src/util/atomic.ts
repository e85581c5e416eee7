// Files that appear whole or not at all: written beside their destination under a
// temporary name, flushed, then renamed over it (a rename within a folder is atomic).
import { open, rename, rm } from "node:fs/promises";
import { temporaryName } from "./temporary-name.js";

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryName(path);
  try {
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
