// The names of an exported graph's inputs and outputs, shared by the writer and the runner
// (this module loads nothing else, so the runner can name inputs without the engine).

/** The batch axis of every graph input and output. */
export const BATCH = "batch";

export type InputPart = "present" | "numeric" | "categorical" | "values" | "ids";

/** `<input>.<part>`: e.g. `scan.values`, `clinical.numeric`, `notes.present`. */
export const graphInputName = (input: string, part: InputPart): string => `${input}.${part}`;

export const OUTPUTS = { logits: "logits", probabilities: "probabilities", inputWeights: "input_weights" } as const;
