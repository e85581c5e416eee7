// modalfuse's version, from package.json (dist/src/ is two folders below it).
import { createRequire } from "node:module";

export const VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
