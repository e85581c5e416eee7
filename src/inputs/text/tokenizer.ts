// A user's Hugging Face tokenizer.json, read by @huggingface/tokenizers (pure JavaScript):
// its token ids, shifted by two so that 0 stays padding and 1 unknown, as for the
// encoders' own tokens. The JSON itself is kept in the run's preprocess.json.
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { UserError } from "../../errors.js";

export interface TokenizerFile {
  /** The parsed tokenizer.json. */
  json: object;
  /** Ids the encoder must embed: the tokenizer's largest id + 1, plus padding and unknown. */
  ids: number;
}

const built = new WeakMap<object, Tokenizer>();

function tokenizerOf(json: object): Tokenizer {
  let tokenizer = built.get(json);
  if (!tokenizer) built.set(json, (tokenizer = new Tokenizer(json, {})));
  return tokenizer;
}

export function readTokenizer(path: string, input: string): TokenizerFile {
  let json: object;
  try {
    json = JSON.parse(readFileSync(path, "utf8")) as object;
  } catch (error) {
    throw new UserError(`${path}: input ${input}: cannot read the tokenizer (${(error as Error).message.split("\n")[0]})`);
  }
  let largest: number;
  try {
    largest = Math.max(-1, ...tokenizerOf(json).get_vocab(true).values());
  } catch (error) {
    throw new UserError(`${path}: input ${input}: not a tokenizer.json this version reads (${(error as Error).message.split("\n")[0]})`);
  }
  if (largest < 0) throw new UserError(`${path}: input ${input}: the tokenizer has no vocabulary`);
  return { json, ids: largest + 3 };
}

/** Each text's token ids + 2 (a token the tokenizer cannot map: 1), at most `maxTokens`; rows × width, 0-padded. */
export function tokenizerMatrix(json: object, texts: readonly (string | null)[], maxTokens: number): { ids: Int32Array; width: number } {
  const tokenizer = tokenizerOf(json);
  const rows = texts.map((t): (number | undefined)[] => (t === null ? [] : (tokenizer.encode(t).ids as (number | undefined)[]).slice(0, maxTokens)));
  const width = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(texts.length * width);
  rows.forEach((row, r) => row.forEach((id, k) => (ids[r * width + k] = typeof id === "number" ? id + 2 : 1)));
  return { ids, width };
}
