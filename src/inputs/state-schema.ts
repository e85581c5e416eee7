// Pieces of the zod schemas that read an input's fitted state back from preprocess.json.
// Each kind's state.ts builds its schema from these; preprocess-state.ts joins them. A value
// the model divides by or sizes a layer with is checked here, so a damaged file stops with
// the key that is wrong instead of predicting NaN.
import { z } from "zod";

export const finite = z.number("must be a finite number");
export const positive = finite.positive("must be positive");
export const positiveInt = finite.int("must be a whole number").positive("must be positive");
export const nonEmpty = z.string("must be a string").min(1, "must not be empty");

/** An array whose items are told apart by `key` (at `field`): a repeated one is refused at its own index. */
export function distinctBy<T>(array: z.ZodType<T[]>, key: (value: T) => string, field?: string) {
  return array.superRefine((items, ctx) => {
    const seen = new Set<string>();
    items.forEach((value, i) => {
      const k = key(value);
      if (seen.has(k)) ctx.addIssue({ code: "custom", message: `must be unique: ${JSON.stringify(k)} appears more than once`, path: field === undefined ? [i] : [i, field] });
      seen.add(k);
    });
  });
}

/** What every input's state has (InputParams). */
export const inputParamsShape = {
  name: nonEmpty,
  share: z.boolean("must be true or false").optional(),
};
