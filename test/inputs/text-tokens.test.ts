// Text into token ids: hashed n-grams checked against a separate FNV-1a over the gram strings
// themselves, the fitted vocabulary's order, padding and truncation, and the seeded perturbations.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_NGRAM,
  dropWords,
  fitVocabulary,
  isMissingText,
  ngramIds,
  ngramMatrix,
  typos,
  wordIds,
  wordMatrix,
  words,
} from "../../src/inputs/text/tokens.js";
import { Random } from "../../src/util/random.js";

/** Textbook FNV-1a, byte by byte. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

const gramId = (gram: string, buckets: number): number => (fnv1a(Buffer.from(gram, "utf16le")) % buckets) + 1;

test("the reference FNV-1a gives the published values", () => {
  assert.equal(fnv1a(Buffer.from("")), 0x811c9dc5);
  assert.equal(fnv1a(Buffer.from("a")), 0xe40c292c);
  assert.equal(fnv1a(Buffer.from("foobar")), 0xbf9cf968);
});

test("n-gram ids are the hashed grams, word by word: unigram, bigram, then character 3-grams", () => {
  const buckets = 1000;
  // "a" has no 3-gram but its whole marked self; "x𠀀y" holds a letter outside the BMP, one character.
  const grams = ["<hi>", "<hi", "hi>", "<a>", "<hi a>", "<x𠀀y>", "<a x𠀀y>", "<x𠀀", "x𠀀y", "𠀀y>"];
  const expected = grams.map((g) => gramId(g, buckets));
  const ids = ngramIds("Hi,  A x𠀀y!", { buckets, maxTokens: 64 });
  assert.deepEqual([...ids], expected);
  assert.deepEqual([...ngramIds("Hi,  A x𠀀y!", { buckets, maxTokens: 64 })], expected, "the same text gives the same ids");
  // One value pinned outright, so the reference and the module cannot drift together.
  assert.equal(gramId("<hi>", buckets), (0x35d847d6 % buckets) + 1);
});

test("ids lie in 1..buckets", () => {
  const random = new Random(7);
  const letters = "abcdeéßж漢 ,.";
  for (const buckets of [1, 7, DEFAULT_NGRAM.buckets]) {
    for (let row = 0; row < 200; row++) {
      const text = Array.from({ length: random.int(0, 60) }, () => random.pick([...letters])).join("");
      for (const id of ngramIds(text, { buckets, maxTokens: 512 })) assert.ok(id >= 1 && id <= buckets, `id ${id} with ${buckets} buckets`);
    }
  }
});

test("truncation keeps the first ids, with every kind of gram for the start of a long text", () => {
  const text = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
  const all = ngramIds(text, { buckets: 5000, maxTokens: 10_000 });
  assert.ok(all.length > 300);
  const cut = ngramIds(text, { buckets: 5000, maxTokens: 20 });
  assert.deepEqual([...cut], [...all.slice(0, 20)]);
  const cutSet = new Set(cut);
  for (const gram of ["<word0>", "<word0 word1>", "<wo", "rd1"]) assert.ok(cutSet.has(gramId(gram, 5000)), `${gram} kept`);
});

test("case, composition and width forms give the same ids", () => {
  const o = { buckets: 50_000, maxTokens: 64 };
  const cafe = [...ngramIds("Café", o)];
  for (const form of ["CAFÉ", "cafe\u0301", "ＣＡＦＥ\u0301", "  café. "]) assert.deepEqual([...ngramIds(form, o)], cafe, form);
  assert.notDeepEqual([...ngramIds("cafe", o)], cafe);
  assert.deepEqual(words("Hello, wörld! 42x don't"), ["hello", "wörld", "42x", "don", "t"]);
  assert.deepEqual(words("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"], "vowel signs are marks, and stay in their word");
  assert.deepEqual(words(" ?! "), []);
});

test("empty and blank text is missing, and pads a whole row", () => {
  for (const cell of [null, undefined, "", "   ", "\t\n"]) assert.equal(isMissingText(cell), true, JSON.stringify(cell));
  for (const cell of ["a", " . ", 0, "0"]) assert.equal(isMissingText(cell), false, JSON.stringify(cell));
  assert.equal(ngramIds("", DEFAULT_NGRAM).length, 0);

  const o = { buckets: 100, maxTokens: 8 };
  const texts = ["ab", null, "a long enough text to fill the row", "  "];
  const { ids, width } = ngramMatrix(texts, o);
  assert.equal(width, 8, "capped at maxTokens");
  assert.equal(ids.length, 4 * 8);
  const row = (r: number) => [...ids.slice(r * width, (r + 1) * width)];
  assert.deepEqual(row(0), [...ngramIds("ab", o), 0, 0, 0, 0, 0]);
  assert.deepEqual(row(1), new Array(8).fill(0));
  assert.deepEqual(row(2), [...ngramIds(texts[2]!, o)]);
  assert.deepEqual(row(3), new Array(8).fill(0));

  assert.deepEqual(ngramMatrix([null, ""], o), { ids: new Int32Array(2), width: 1 }, "width is at least 1");
  assert.equal(ngramMatrix(["ab"], o).width, 3, "width is the longest row");
  assert.throws(() => ngramIds("a", { buckets: 0, maxTokens: 4 }), RangeError);
});

test("the vocabulary: most frequent first, ties alphabetical, rare words unknown", () => {
  const texts = ["the cat and the dog", "The bird, the cat", null, "a dog a cat zebra", "", "bird"];
  // the 4, cat 3, a 2, bird 2, dog 2; and, zebra once.
  const vocab = fitVocabulary(texts);
  assert.deepEqual(vocab.words, ["the", "cat", "a", "bird", "dog"]);
  assert.deepEqual(fitVocabulary(texts, { maxVocab: 3 }).words, ["the", "cat", "a"]);
  assert.deepEqual(fitVocabulary(texts, { minCount: 1 }).words, ["the", "cat", "a", "bird", "dog", "and", "zebra"]);
  assert.deepEqual(fitVocabulary(texts, { minCount: 3 }).words, ["the", "cat"]);

  assert.deepEqual([...wordIds("The zebra and a CAT", vocab, 10)], [2, 1, 1, 4, 3]);
  assert.deepEqual([...wordIds("dog dog dog", vocab, 2)], [6, 6]);
  const m = wordMatrix(["bird", null, "the cat the cat the"], vocab, 4);
  assert.equal(m.width, 4);
  assert.deepEqual([...m.ids], [5, 0, 0, 0, 0, 0, 0, 0, 2, 3, 2, 3]);
});

/** A `next()` of its own per call, as the perturbations take. */
function seeded(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

/** Text of random lower-case words, spaces between them. */
function randomWords(count: number, seed: number): string {
  const random = new Random(seed);
  return Array.from({ length: count }, () => Array.from({ length: random.int(3, 8) }, () => String.fromCharCode(97 + random.int(0, 25))).join("")).join(" ");
}

test("dropWords drops about the given share of words, the same ones for the same seed", () => {
  const text = randomWords(10_000, 1);
  assert.equal(dropWords(text, 0, () => 0.5), text);
  assert.equal(dropWords("Hello, world!", 0, seeded(1)), "Hello, world!");
  const a = dropWords(text, 0.3, seeded(5));
  const b = dropWords(text, 0.3, seeded(5));
  assert.equal(a, b);
  const kept = words(a).length / 10_000;
  assert.ok(Math.abs(kept - 0.7) < 0.03, `kept ${kept}`);
  // What is kept is in order: a subsequence of the words.
  const source = words(text);
  let j = 0;
  for (const w of words(a)) {
    while (source[j] !== w) j++;
    j++;
  }
  assert.ok(j <= source.length);
  assert.deepEqual(words(dropWords(text, 1, () => 0.99)), []);
  assert.notEqual(dropWords(text, 0.3, seeded(6)), a, "another seed, other words");
});

/** Optimal string alignment distance: insertions, deletions, replacements and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

test("typos edit about the given share of letters, only letters, the same way for the same seed", () => {
  const text = randomWords(4000, 2);
  const letters = text.replaceAll(" ", "").length;
  assert.equal(typos(text, 0, () => 0), text);
  const rate = 0.1;
  const a = typos(text, rate, seeded(9));
  assert.equal(typos(text, rate, seeded(9)), a);
  const before = text.split(" ");
  const after = a.split(" ");
  assert.equal(after.length, before.length, "spaces are not letters, and stay");
  let edits = 0;
  before.forEach((w, i) => (edits += editDistance(w, after[i]!)));
  // A swap spends the letter after it, so slightly under one edit per `rate` letters.
  const observed = edits / letters;
  assert.ok(observed > rate * 0.85 && observed < rate * 1.05, `edit rate ${observed}`);

  const mixed = "Paris 2024: ÉTÉ, 漢字 & 𠀀!";
  const typed = typos(mixed, 1, seeded(3));
  assert.equal(typed.replace(/\p{L}/gu, ""), mixed.replace(/\p{L}/gu, ""), "digits, spaces and punctuation untouched");
  assert.notEqual(typed, mixed);
  assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(typed), "no surrogate pair split");
  // Upper case stays upper case when replaced by a neighbour.
  assert.match(typos("QQQQ", 1, () => 0.99), /^[WA]+$/);
});

/** Hands out the given draws in order. */
function script(draws: number[]): () => number {
  let i = 0;
  return () => {
    const v = draws[i++];
    if (v === undefined) throw new Error("more draws than scripted");
    return v;
  };
}

test("each typo is a swap, a deletion or a keyboard neighbour, and always changes the text", () => {
  // Draws per letter: hit (< rate) or not, then the operation (thirds: swap, delete, replace), then the neighbour.
  assert.equal(typos("ab", 0.5, script([0.1, 0.1])), "ba", "swap, and b is spent");
  assert.equal(typos("ab", 0.5, script([0.1, 0.5, 0.9])), "b", "delete");
  assert.equal(typos("ab", 0.5, script([0.1, 0.9, 0, 0.9])), "qb", "replace by the first neighbour of a");
  assert.equal(typos("aa", 0.5, script([0.1, 0.1, 0, 0.9])), "qa", "a swap of equal letters would change nothing: replaced");
  assert.equal(typos("a.", 0.5, script([0.1, 0.1, 0.3])), "w.", "nothing to swap with: replaced");
  assert.equal(typos("éa", 0.5, script([0.1, 0.9, 0.9])), "a", "no keyboard neighbours: deleted");
});
