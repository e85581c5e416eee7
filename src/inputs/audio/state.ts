// The audio input's fitted state as preprocess.json holds it, checked when read back.
import { z } from "zod";
import type { Same } from "../../util/same-type.js";
import { finite, inputParamsShape, nonEmpty, positive, positiveInt } from "../state-schema.js";
import type { AudioState } from "./index.js";

/** Without name and kind: version 1 of preprocess.json kept it so (there, hop and window may be absent). */
export const audioFittedSchema = z.object({
  column: nonEmpty,
  sampleRate: positiveInt,
  seconds: positive,
  nMels: positiveInt,
  hopMs: positive,
  windowMs: positive,
  frames: positiveInt,
  mean: finite,
  std: positive,
  /** Absent in runs whose audio is log-mel (all runs before backbones read waveforms). */
  representation: z.enum(["logmel", "waveform"]).optional(),
});

export const audioStateSchema = z.object({ ...inputParamsShape, kind: z.literal("audio"), ...audioFittedSchema.shape });

true satisfies Same<z.output<typeof audioStateSchema>, AudioState>;
