// The text input's fitted state as preprocess.json holds it, checked when read back.
import { z } from "zod";
import type { Same } from "../../util/same-type.js";
import { distinctBy, inputParamsShape, nonEmpty, positiveInt } from "../state-schema.js";
import type { TextState } from "./index.js";

export const textStateSchema = z.object({
  ...inputParamsShape,
  kind: z.literal("text"),
  column: nonEmpty,
  encoder: z.enum(["ngram", "transformer"]),
  maxTokens: positiveInt,
  buckets: positiveInt,
  tokenizer: z.string("must be a string").nullable().optional(),
  // Word i has id i + 2: a repeated word would leave one of its ids unreachable.
  vocabulary: distinctBy(z.array(z.string("must be a string")), (w) => w),
  tokenizerJson: z.custom<object>((v) => typeof v === "object" && v !== null && !Array.isArray(v), "must be a tokenizer.json object").nullable().optional(),
  tokenizerIds: positiveInt.optional(),
});

true satisfies Same<z.output<typeof textStateSchema>, TextState>;
