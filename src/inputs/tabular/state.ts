// The tabular input's fitted state as preprocess.json holds it, checked when read back.
import { z } from "zod";
import type { Same } from "../../util/same-type.js";
import { distinctBy, finite, inputParamsShape, nonEmpty, positive } from "../state-schema.js";
import type { TabularState } from "./index.js";

const numericStats = z.object({ column: nonEmpty, mean: finite, std: positive });
// Vocabulary indices follow the values' positions, so a repeated value would make two indices one category.
const vocabulary = z.object({ column: nonEmpty, values: distinctBy(z.array(z.string("must be a string")), (v) => v) });

/** The statistics alone: version 1 of preprocess.json kept them without a name or kind. */
export const tabularStatsSchema = z.object({
  numeric: distinctBy(z.array(numericStats), (s) => s.column, "column"),
  categorical: distinctBy(z.array(vocabulary), (c) => c.column, "column"),
});

export const tabularStateSchema = z.object({ ...inputParamsShape, kind: z.literal("tabular"), ...tabularStatsSchema.shape });

true satisfies Same<z.output<typeof tabularStateSchema>, TabularState>;
