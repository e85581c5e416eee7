// The image input's fitted state as preprocess.json holds it, checked when read back.
import { z } from "zod";
import type { Same } from "../../util/same-type.js";
import { finite, inputParamsShape, nonEmpty, positive, positiveInt } from "../state-schema.js";
import type { ImageState } from "./index.js";

/** Without name and kind: version 1 of preprocess.json kept it so. */
export const imageFittedSchema = z.object({
  column: nonEmpty,
  height: positiveInt,
  width: positiveInt,
  mean: z.tuple([finite, finite, finite], "must be three numbers (red, green, blue)"),
  std: z.tuple([positive, positive, positive], "must be three numbers (red, green, blue)"),
});

export const imageStateSchema = z.object({ ...inputParamsShape, kind: z.literal("image"), ...imageFittedSchema.shape });

true satisfies Same<z.output<typeof imageStateSchema>, ImageState>;
