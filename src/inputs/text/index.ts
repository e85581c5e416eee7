// A free-text column: hashed word and character n-grams into a bag of embeddings (the
// default: nothing to fit or download), or words of a vocabulary fitted on the training
// rows through a small transformer; either may read a user's tokenizer.json's tokens
// instead. Empty text is missing, like an empty path.
import type { Manifest } from "../../data/table/manifest.js";
import { ones, tensor, zeros, type Tensor } from "../../torch/index.js";
import { deriveSeed, Random } from "../../util/random.js";
import type { DecodedInput, InputKind, InputParams, Perturbation, TablePart } from "../kind.js";
import { TextBagEncoder, TextTransformerEncoder } from "./encoders.js";
import { readTokenizer, tokenizerMatrix } from "./tokenizer.js";
import { dropWords, fitVocabulary, isMissingText, ngramMatrix, typos, wordMatrix, type Vocabulary } from "./tokens.js";

export type TextEncoderName = "ngram" | "transformer";

export interface TextParams extends InputParams {
  kind: "text";
  column: string;
  encoder: TextEncoderName;
  /** Token ids kept per row, from the start of the text. */
  maxTokens: number;
  /** Hash buckets of the n-gram encoder. */
  buckets: number;
  /** A tokenizer.json whose tokens replace the encoder's own (only while configuring). */
  tokenizer?: string | null;
}

export interface TextState extends TextParams {
  /** The transformer's words, fitted on training rows (empty for n-grams or a tokenizer). */
  vocabulary: string[];
  /** The user's tokenizer.json, kept with the run, and the ids its tokens take. */
  tokenizerJson?: object | null;
  tokenizerIds?: number;
}

interface DecodedText extends DecodedInput {
  cells: (string | null)[];
}

export interface TextPart extends TablePart {
  /** Each row's text, kept so that robustness can perturb it and tokenise again. */
  texts: (string | null)[];
  /** [rows, width] token ids, 0 for padding. */
  ids: Int32Array;
  width: number;
}

/** Shares of words dropped, and of letters mistyped, for robustness. */
export const WORDS_DROPPED = [0.1, 0.25, 0.5, 0.75];
export const TYPO_RATES = [0.02, 0.05, 0.1, 0.2];
/** Buckets of the linear member's binary bag of n-grams. */
const SIMPLE_BUCKETS = 1024;

function tokenise(s: TextState, texts: (string | null)[]): { ids: Int32Array; width: number } {
  if (s.tokenizerJson) return tokenizerMatrix(s.tokenizerJson, texts, s.maxTokens);
  return s.encoder === "ngram" ? ngramMatrix(texts, { buckets: s.buckets, maxTokens: s.maxTokens }) : wordMatrix(texts, { words: s.vocabulary } satisfies Vocabulary, s.maxTokens);
}

function part(s: TextState, texts: (string | null)[], present: Uint8Array): TextPart {
  return { present, texts, ...tokenise(s, texts) };
}

function perturbed(s: TextState, p: TextPart, change: (text: string) => string): TextPart {
  return part(
    s,
    p.texts.map((t) => (t === null ? null : change(t))),
    p.present,
  );
}

export const textKind: InputKind<TextParams, TextState, DecodedText, TextPart> = {
  kind: "text",
  readsFiles: false,
  columns: (p) => [p.column],
  fields: (s) => [{ column: s.column, type: "text", maxTokens: s.maxTokens }],
  decode: async (manifest: Manifest, p) => ({
    cells: manifest.rows.map((r) => {
      const cell = r[p.column] ?? null;
      return isMissingText(cell) ? null : String(cell);
    }),
    issues: [],
    broken: new Set(),
  }),
  fit(p, decoded, trainRows) {
    const { tokenizer, ...params } = p;
    if (tokenizer) {
      const file = readTokenizer(tokenizer, p.name);
      return { ...params, vocabulary: [], tokenizerJson: file.json, tokenizerIds: file.ids };
    }
    const vocabulary = p.encoder === "transformer" ? fitVocabulary(trainRows.map((i) => decoded.cells[i] ?? null)).words : [];
    return { ...params, vocabulary };
  },
  paramsOf: (s) => ({ name: s.name, kind: "text", column: s.column, encoder: s.encoder, maxTokens: s.maxTokens, buckets: s.buckets }),
  select(s, decoded, indices) {
    const texts = indices.map((i) => decoded.cells[i] ?? null);
    return part(s, texts, Uint8Array.from(texts, (t) => Number(t !== null)));
  },
  withoutRows: (p) => ({ ...p, present: new Uint8Array(p.present.length) }),
  tensors(_s, p, place) {
    const ids = place.own(tensor(BigInt64Array.from(p.ids, (v) => BigInt(v)), [p.present.length, p.width], { dtype: "int64" }));
    return { batch: (indices) => ({ ids: ids.indexSelect(0, indices) }) };
  },
  encoder(s, features, preset) {
    const ids = s.tokenizerIds ?? (s.encoder === "ngram" ? s.buckets + 1 : s.vocabulary.length + 2);
    return s.encoder === "ngram" ? new TextBagEncoder(s.name, ids, features, preset.text) : new TextTransformerEncoder(s.name, ids, s.maxTokens, features, preset.text);
  },
  simpleFeatures(x) {
    // Which of SIMPLE_BUCKETS groups of ids the row has: a binary bag, for a linear model.
    const ids = x.ids as Tensor;
    const slots = ids.gt(0).mul(ids.sub(1).remainder(SIMPLE_BUCKETS).add(1));
    const bag = zeros([ids.size(0), SIMPLE_BUCKETS + 1], { device: ids.device });
    return bag.scatter(1, slots, ones(slots.shape, { device: ids.device })).narrow(1, 1, SIMPLE_BUCKETS);
  },
  simpleWidth: () => SIMPLE_BUCKETS,
  augment: (x) => x,
  async *perturbations(s, p, c): AsyncIterable<Perturbation<TextPart>> {
    for (const share of WORDS_DROPPED) {
      const random = new Random(deriveSeed(c.seed, 5));
      yield { condition: "words_dropped", level: share, unit: "fraction of words", part: perturbed(s, p, (t) => dropWords(t, share, () => random.next())) };
    }
    for (const rate of TYPO_RATES) {
      const random = new Random(deriveSeed(c.seed, 6));
      yield { condition: "typos", level: rate, unit: "fraction of letters", part: perturbed(s, p, (t) => typos(t, rate, () => random.next())) };
    }
  },
};
