// The zip container `torch.save` has written since torch 1.6: one folder (any name) holding
// `data.pkl` (the pickled object), `data/<key>` (one raw little-endian storage per key),
// `version`, and from torch 2.x `byteorder`. adm-zip reads the archive from memory and
// checks every entry's CRC, so a damaged file fails here rather than as wrong numbers.
import AdmZip from "adm-zip";
import { UserError } from "../errors.js";

export interface TorchArchive {
  /** The pickle (`<folder>/data.pkl`). */
  readonly pickle: Buffer;
  /** The bytes of storage `key` (`<folder>/data/<key>`). */
  storage(key: string): Buffer;
}

export function openTorchArchive(buffer: Buffer, source: string): TorchArchive {
  const fail = (why: string): never => {
    throw new UserError(`${source}: ${why}`);
  };
  if (!endsWhole(buffer)) fail("a zip archive without its end record; the file is truncated: download or copy it again");
  let zip: AdmZip;
  let names: string[];
  try {
    zip = new AdmZip(buffer, { readEntries: true });
    names = zip.getEntries().map((e) => e.entryName);
  } catch (error) {
    return fail(`a damaged zip archive (${firstLine(error)}); the file may be truncated: download or copy it again`);
  }
  const read = (name: string): Buffer => {
    const entry = zip.getEntry(name) ?? fail(`the archive has no ${name}; the file may be truncated`);
    try {
      return entry.getData();
    } catch (error) {
      return fail(`${name} cannot be read (${firstLine(error)}); the file may be truncated or damaged`);
    }
  };

  // TorchScript archives also hold a data.pkl, but it pickles the module's classes.
  if (names.some((n) => /^[^/]+\/code\//.test(n) || /^[^/]+\/constants\.pkl$/.test(n))) fail("a TorchScript archive (torch.jit.save), not a checkpoint; in Python, torch.save(model.state_dict(), path) and convert that");
  // torch.load takes the folder from the first entry; a pickle at any other depth is not ours.
  const pickleName = names.find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pickleName) fail("a zip archive, but not a PyTorch checkpoint (no <folder>/data.pkl inside)");
  const folder = (pickleName as string).slice(0, -"data.pkl".length);
  if (names.includes(`${folder}byteorder`)) {
    const order = read(`${folder}byteorder`).toString("utf8").trim();
    if (order !== "little") fail(`saved with ${order}-endian byte order; modalfuse reads little-endian checkpoints only (re-save it on a little-endian machine)`);
  }
  return {
    pickle: read(pickleName as string),
    storage: (key) => read(`${folder}data/${key}`),
  };
}

/**
 * Whether the archive ends with a complete end-of-central-directory record (22 bytes and
 * its comment). adm-zip accepts a few bytes cut off there, and so would we, silently, from a
 * download that stopped early.
 */
function endsWhole(buffer: Buffer): boolean {
  const END = 0x06054b50;
  for (let at = buffer.length - 22; at >= Math.max(0, buffer.length - 22 - 0xffff); at--) {
    if (buffer.readUInt32LE(at) === END) return at + 22 + buffer.readUInt16LE(at + 20) === buffer.length;
  }
  return false;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
