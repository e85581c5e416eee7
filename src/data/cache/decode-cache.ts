// A decode cache shared across runs: each media file is decoded once per set of
// preprocessing parameters, and later runs read the decoded bytes back. An entry is keyed
// by the file's absolute path, size and modification time and by the parameters, so a
// changed file or parameter decodes again. A failed decode is cached too (a broken file
// stays broken until it changes). Entries carry their length and a CRC-32: a damaged or
// half-written entry is detected, removed and decoded again, never trusted.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { sweepTemporaries, temporaryName } from "../../util/temporary-name.js";

const MAGIC = Buffer.from("MFC1");
const HEADER = 4 + 1 + 4 + 4;
const OK = 1;
const BAD = 2;

export type CacheEntry = { ok: true; bytes: Uint8Array } | { ok: false; problem: string };

/** The default cache folder: $MODALFUSE_CACHE_DIR, else $XDG_CACHE_HOME/modalfuse, else ~/.cache/modalfuse. */
export function defaultCacheDir(): string {
  if (process.env.MODALFUSE_CACHE_DIR) return resolve(process.env.MODALFUSE_CACHE_DIR);
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "modalfuse");
}

const swept = new Set<string>();

export class DecodeCache {
  constructor(readonly root: string) {}

  /** Removes what killed writers left behind, once per cache folder and process. */
  async sweep(): Promise<number> {
    if (swept.has(this.root)) return 0;
    swept.add(this.root);
    return sweepTemporaries(this.root);
  }

  static key(path: string, size: number, mtimeMs: number, kind: string, params: unknown): string {
    return createHash("sha256").update(JSON.stringify([resolve(path), size, mtimeMs, kind, params])).digest("hex");
  }

  private file(key: string): string {
    return join(this.root, "decoded", key.slice(0, 2), `${key}.bin`);
  }

  /** The entry, or null when absent or damaged (a damaged one is removed). */
  async read(key: string): Promise<CacheEntry | null> {
    const path = this.file(key);
    let raw: Buffer;
    try {
      raw = await readFile(path);
    } catch {
      return null;
    }
    const length = raw.length >= HEADER ? raw.readUInt32LE(5) : -1;
    const valid = raw.length === HEADER + length && raw.subarray(0, 4).equals(MAGIC) && crc32(raw.subarray(HEADER)) === raw.readUInt32LE(9);
    const status = raw[4];
    if (!valid || (status !== OK && status !== BAD)) {
      await unlink(path).catch(() => undefined);
      return null;
    }
    const payload = raw.subarray(HEADER);
    return status === OK ? { ok: true, bytes: payload } : { ok: false, problem: payload.toString("utf8") };
  }

  /** Writes atomically (temporary file, then rename): a crash leaves no half entry under the key. */
  async write(key: string, entry: CacheEntry): Promise<void> {
    const payload = entry.ok ? Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength) : Buffer.from(entry.problem, "utf8");
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    header[4] = entry.ok ? OK : BAD;
    header.writeUInt32LE(payload.length, 5);
    header.writeUInt32LE(crc32(payload), 9);
    const path = this.file(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = temporaryName(path);
    await writeFile(tmp, Buffer.concat([header, payload]));
    await rename(tmp, path);
  }
}

/** The entry key of an existing file, or null when it does not exist (an absent file is never cached). */
export async function fileKey(path: string, kind: string, params: unknown): Promise<string | null> {
  try {
    const info = await stat(path);
    return DecodeCache.key(path, info.size, info.mtimeMs, kind, params);
  } catch {
    return null;
  }
}

