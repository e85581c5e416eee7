// A zod issue as the second half of a one-line error: the key path, then what is wrong with
// it in plain words ("inputs.0.numeric.1.std must be positive").
import type { z } from "zod";

/** The value at `path` inside `root`, or undefined where the path leads nowhere. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

function found(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value)?.slice(0, 40) ?? String(value);
}

/** `issue` about `root` (the value that was parsed) as "key.path problem". */
export function issueLine(issue: z.core.$ZodIssue, root: unknown): string {
  const at = issue.path.map(String).join(".") || "the file";
  const value = valueAt(root, issue.path);
  const present = issue.path.length === 0 || value !== undefined;
  switch (issue.code) {
    case "invalid_type":
      if (!present) return `${at} is missing`;
      if (issue.expected === "int") return `${at} must be a whole number (found ${found(value)})`;
      // The schema's own wording when it has one ("must be a finite number"), else the expected type.
      return `${at} ${issue.message.startsWith("must ") ? issue.message : `must be ${article(issue.expected)}`} (found ${found(value)})`;
    case "invalid_union":
      if ("options" in issue && Array.isArray(issue.options)) return present ? `${at} must be one of ${issue.options.join(", ")} (found ${found(value)})` : `${at} is missing`;
      return `${at} ${issue.message}`;
    case "invalid_value":
      return `${at} must be ${issue.values.length > 2 ? `one of ${issue.values.join(", ")}` : issue.values.map((v) => JSON.stringify(v)).join(" or ")} (found ${found(value)})`;
    case "too_small":
      if (issue.origin === "array") return Number(issue.minimum) === 1 ? `${at} must not be empty` : `${at} must have at least ${issue.minimum} items`;
      if (issue.origin === "string") return `${at} must not be empty`;
      return issue.message.startsWith("must ") ? `${at} ${issue.message}` : `${at} must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `${at} must have at most ${issue.maximum} items`;
      return `${at} must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}`;
    default:
      return issue.message.startsWith("must ") ? `${at} ${issue.message}` : `${at}: ${issue.message}`;
  }
}
