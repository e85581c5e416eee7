// Free text into token ids, with nothing to download: hashed n-grams for the default bag
// encoder, and a vocabulary fitted on the training rows for the transformer encoder. Id 0 is
// padding in both. Also the seeded perturbations the robustness report applies to text.

export interface NgramOptions {
  /** Hash buckets: ids fall in 1..buckets. */
  buckets: number;
  /** Ids kept per text, from its start. */
  maxTokens: number;
}

/**
 * 50,000 buckets: an embedding table of 50,001 rows stays small at the usual widths, and the
 * few tens of thousands of distinct grams of a short-text column mostly get a bucket alone.
 */
export const DEFAULT_NGRAM: Readonly<NgramOptions> = Object.freeze({ buckets: 50_000, maxTokens: 256 });

export interface Vocabulary {
  /** Id i + 2 is words[i]; 0 is padding and 1 unknown. */
  words: string[];
}

export const PAD_ID = 0;
export const UNKNOWN_ID = 1;

// Combining marks belong to words: without them Devanagari, Thai and other scripts whose
// vowel signs are marks would fall apart into pieces of words.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;

/** NFKC (full-width and ligature forms fold to plain ones), lower-case, runs of letters and digits. */
export function words(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(WORD) ?? [];
}

export function isMissingText(cell: unknown): boolean {
  return cell === null || cell === undefined || (typeof cell === "string" && cell.trim() === "");
}

// 32-bit FNV-1a over the UTF-16LE bytes of a string's code units [start, end), continuing
// from `h`; it walks the word in place, so no gram is ever built as a string.
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
  }
  return h;
}

const SPACE = " ";

/** Code unit index of the code point after the one at i, so a letter outside the BMP is one character. */
function nextPoint(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d < 0xe000) return i + 2;
  }
  return i + 1;
}

function checkNgram(o: NgramOptions): void {
  if (!Number.isInteger(o.buckets) || o.buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${o.buckets}`);
  checkMaxTokens(o.maxTokens);
}

function checkMaxTokens(maxTokens: number): void {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}`);
}

/**
 * Grams, each hashed as a string (marks "<" ">" cannot occur inside a word, nor " " inside one):
 *   word "<cat>", bigram "<the cat>", character 3-grams of "<cat>": "<ca", "cat", "at>".
 * A one-character word has no 3-gram besides the whole marked word, which its unigram already is.
 * Order: per word, its unigram, the bigram it closes, then its 3-grams. Truncation at maxTokens
 * then keeps every kind of gram for the start of the text, rather than the unigrams of a long
 * text crowding out all its bigrams and 3-grams; the bag is a mean, so order means nothing else.
 */
export function ngramIds(text: string, o: NgramOptions): Int32Array {
  checkNgram(o);
  return ngramRow(text, o.buckets, o.maxTokens);
}

// One scratch row for all texts; each result is a copy of its used part.
let scratch = new Int32Array(DEFAULT_NGRAM.maxTokens);

function ngramRow(text: string, buckets: number, maxTokens: number): Int32Array {
  if (scratch.length < maxTokens) scratch = new Int32Array(maxTokens);
  const out = scratch;
  let n = 0;
  const emit = (h: number): boolean => {
    out[n++] = ((h >>> 0) % buckets) + 1;
    return n === maxTokens;
  };
  let previous = "";
  fill: for (const word of words(text)) {
    const marked = `<${word}>`;
    if (emit(fnv(FNV_OFFSET, marked, 0, marked.length))) break;
    if (previous !== "") {
      // "<a" + " " + "b>": the previous marked word without its end, then this one without its start.
      let h = fnv(FNV_OFFSET, previous, 0, previous.length - 1);
      h = fnv(h, SPACE, 0, 1);
      if (emit(fnv(h, marked, 1, marked.length))) break;
    }
    previous = marked;
    let a = 0;
    let b = nextPoint(marked, a);
    let c = nextPoint(marked, b);
    while (c < marked.length) {
      const d = nextPoint(marked, c);
      if (!(a === 0 && d === marked.length) && emit(fnv(FNV_OFFSET, marked, a, d))) break fill;
      a = b;
      b = c;
      c = d;
    }
  }
  return out.slice(0, n);
}

/** One zero-padded row per text, missing ones all padding; width the longest row, at least 1. */
export function ngramMatrix(texts: readonly (string | null)[], o: NgramOptions): { ids: Int32Array; width: number } {
  checkNgram(o);
  return pad(texts.map((t) => (isMissingText(t) ? EMPTY : ngramRow(t as string, o.buckets, o.maxTokens))));
}

const EMPTY = new Int32Array(0);

function pad(rows: readonly Int32Array[]): { ids: Int32Array; width: number } {
  let width = 1; // not Math.max(...rows): a spread of 100k arguments overflows the stack
  for (const r of rows) width = Math.max(width, r.length);
  const ids = new Int32Array(rows.length * width);
  rows.forEach((r, i) => ids.set(r, i * width));
  return { ids, width };
}

/**
 * Words seen at least minCount times (so a word of a single row cannot become a feature that
 * only memorises that row), most frequent first; ties in code-unit order, not the locale's,
 * so every machine fits the same vocabulary.
 */
export function fitVocabulary(texts: readonly (string | null)[], o: { maxVocab?: number; minCount?: number } = {}): Vocabulary {
  const maxVocab = o.maxVocab ?? 20_000;
  const minCount = o.minCount ?? 2;
  const counts = new Map<string, number>();
  for (const t of texts) {
    if (isMissingText(t)) continue;
    for (const w of words(t as string)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, n]) => n >= minCount);
  kept.sort(([wa, na], [wb, nb]) => nb - na || (wa < wb ? -1 : wa > wb ? 1 : 0));
  return { words: kept.slice(0, Math.max(0, maxVocab)).map(([w]) => w) };
}

// Lookup tables, built once per vocabulary's word list rather than once per row.
const lookups = new WeakMap<readonly string[], Map<string, number>>();

function lookup(vocab: Vocabulary): Map<string, number> {
  let ids = lookups.get(vocab.words);
  if (ids === undefined) {
    ids = new Map(vocab.words.map((w, i) => [w, i + 2]));
    lookups.set(vocab.words, ids);
  }
  return ids;
}

export function wordIds(text: string, vocab: Vocabulary, maxTokens: number): Int32Array {
  checkMaxTokens(maxTokens);
  const ids = lookup(vocab);
  const ws = words(text);
  const out = new Int32Array(Math.min(ws.length, maxTokens));
  for (let i = 0; i < out.length; i++) out[i] = ids.get(ws[i]!) ?? UNKNOWN_ID;
  return out;
}

export function wordMatrix(texts: readonly (string | null)[], vocab: Vocabulary, maxTokens: number): { ids: Int32Array; width: number } {
  checkMaxTokens(maxTokens);
  return pad(texts.map((t) => (isMissingText(t) ? EMPTY : wordIds(t as string, vocab, maxTokens))));
}

// Perturbations take the caller's generator, so a robustness run repeats from its seed.

/** Each word, with the spaces after it, is dropped with probability `share`; the rest is left as it was. */
export function dropWords(text: string, share: number, next: () => number): string {
  return text.replace(/([\p{L}\p{M}\p{N}]+)\s*/gu, (match) => (next() < share ? "" : match));
}

// QWERTY neighbours: the slips a typist makes.
const NEAR: Readonly<Record<string, string>> = {
  q: "wa", w: "qeas", e: "wrsd", r: "etdf", t: "ryfg", y: "tugh", u: "yihj", i: "uojk", o: "ipkl", p: "ol",
  a: "qwsz", s: "awedzx", d: "serfxc", f: "drtgcv", g: "ftyhvb", h: "gyujbn", j: "huiknm", k: "jiolm", l: "kop",
  z: "asx", x: "zsdc", c: "xdfv", v: "cfgb", b: "vghn", n: "bhjm", m: "njk",
};

const LETTER = /^\p{L}$/u;

/**
 * Each letter, with probability `rate`, is swapped with the next letter, deleted, or replaced by a
 * keyboard neighbour (same case). Every event is one edit: a swap with no different letter after
 * it becomes a replacement, and a letter with no neighbours on the keyboard is deleted instead.
 * Works on code points, so no surrogate pair is split.
 */
export function typos(text: string, rate: number, next: () => number): string {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!LETTER.test(ch) || !(next() < rate)) {
      out.push(ch);
      continue;
    }
    let op = Math.floor(next() * 3); // 0 swap, 1 delete, 2 replace
    const after = chars[i + 1];
    if (op === 0 && (after === undefined || !LETTER.test(after) || after === ch)) op = 2;
    const near = NEAR[ch.toLowerCase()];
    if (op === 2 && near === undefined) op = 1;
    if (op === 0) {
      out.push(after!, ch);
      i++; // the swapped letter is spent
    } else if (op === 2) {
      const pick = near![Math.floor(next() * near!.length)]!;
      out.push(ch === ch.toLowerCase() ? pick : pick.toUpperCase());
    }
  }
  return out.join("");
}
