// Where a run trains and in what precision, from its config: checked before any file is
// decoded, and reported as a user error (one line), since only the config can fix it.
import type { Config } from "../config/schema.js";
import { UserError } from "../errors.js";
import { resolveDevice, resolvePrecision } from "../torch/index.js";

export interface Placement {
  device: string;
  /** Autocast dtype for forward passes, or null for float32 throughout. */
  precision: "bfloat16" | null;
}

export function placementOf(train: Pick<Config["train"], "device" | "precision">): Placement {
  try {
    const device = resolveDevice(train.device);
    return { device, precision: resolvePrecision(train.precision, device) };
  } catch (error) {
    throw new UserError(`train.device ${train.device}, train.precision ${train.precision}: ${(error as Error).message}`);
  }
}
