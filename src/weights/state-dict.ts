// Finding the weights in what a checkpoint holds. Training scripts save the state dict
// itself, or a dict around it ({'model': ..., 'iteration': ...} as PANNs does, or
// 'state_dict' / 'model_state_dict' beside optimizer state), and a model wrapped in
// DataParallel prefixes every name with `module.`. The result is names → T, plus notes
// that say what was done, for the user to see.

/** The keys, in order of preference, under which checkpoints nest their state dict. */
export const NESTED_KEYS = ["state_dict", "model_state_dict", "model"] as const;

const PREFIX = "module.";

export interface Extracted<T> {
  readonly tensors: Map<string, T>;
  readonly notes: string[];
}

/**
 * `top` is the checkpoint's top-level dict (name → value); `isTensor` tells tensors from
 * other values; `asDict` returns a nested dict's entries, or undefined for a non-dict.
 * Returns undefined when no tensors are found anywhere expected.
 */
export function extractStateDict<V, T extends V>(top: Map<string, V>, isTensor: (v: V) => v is T, asDict: (v: V) => Map<string, V> | undefined): Extracted<T> | undefined {
  const notes: string[] = [];
  let dict = top;
  if (![...top.values()].some(isTensor)) {
    const key = NESTED_KEYS.find((k) => {
      const nested = top.has(k) ? asDict(top.get(k) as V) : undefined;
      return nested !== undefined && [...nested.values()].some(isTensor);
    });
    if (key === undefined) return undefined;
    dict = asDict(top.get(key) as V) as Map<string, V>;
    notes.push(`the weights are the checkpoint's '${key}' entry; ${top.size - 1} other top-level entr${top.size - 1 === 1 ? "y was" : "ies were"} left out`);
  }

  const tensors = new Map<string, T>();
  const dropped: string[] = [];
  for (const [name, value] of dict) {
    if (isTensor(value)) tensors.set(name, value);
    else dropped.push(name);
  }
  if (dropped.length) notes.push(`left out ${dropped.length} entr${dropped.length === 1 ? "y that is" : "ies that are"} not tensors (${listed(dropped)})`);

  if (tensors.size && [...tensors.keys()].every((k) => k.startsWith(PREFIX))) {
    const stripped = new Map([...tensors].map(([k, v]) => [k.slice(PREFIX.length), v] as const));
    notes.push(`removed the '${PREFIX}' prefix (a model saved inside DataParallel) from all ${tensors.size} names`);
    return { tensors: stripped, notes };
  }
  return { tensors, notes };
}

/** Up to `cap` names, then "…". */
export function listed(names: readonly string[], cap = 5): string {
  return names.length > cap ? `${names.slice(0, cap).join(", ")}, …` : names.join(", ");
}
