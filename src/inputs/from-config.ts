// A config's `data` section as the run's inputs, in a fixed order: the table's columns,
// then images, audio and text. The object form of a media key (`image: {column: scan}`) is one
// input named after its kind, as before several columns were possible; each entry of the
// list form is an input named by its column (or its `name`).
import type { Config } from "../config/schema.js";
import { UserError } from "../errors.js";
import { BACKBONES, backboneSpec } from "../model/backbones/index.js";
import { backboneAudioParams } from "./audio/backbone.js";
import type { AudioParams } from "./audio/index.js";
import type { ImageParams } from "./image/index.js";
import type { InputParams } from "./kind.js";
import type { TabularParams } from "./tabular/index.js";
import type { TextParams } from "./text/index.js";

type Entries<T> = T | T[] | null;
type EncoderSettings = Config["model"]["encoders"][string];

function entries<T extends { column: string; name?: string | undefined }>(value: Entries<T>, kind: string): { entry: T; name: string }[] {
  if (value === null) return [];
  if (!Array.isArray(value)) return [{ entry: value, name: value.name ?? kind }];
  return value.map((entry) => ({ entry, name: entry.name ?? entry.column }));
}

export function configuredInputs(config: Config): InputParams[] {
  const d = config.data;
  const inputs: InputParams[] = [];
  const tab = d.tabular;
  if (tab && tab.numeric.length + tab.categorical.length > 0) {
    inputs.push({ name: "tabular", kind: "tabular", numericColumns: tab.numeric, categoricalColumns: tab.categorical } as TabularParams);
  }
  for (const { entry, name } of entries(d.image, "image")) {
    const [height, width] = typeof entry.size === "number" ? [entry.size, entry.size] : entry.size;
    inputs.push({ name, kind: "image", column: entry.column, height, width, share: entry.share } as ImageParams);
  }
  for (const { entry, name } of entries(d.audio, "audio")) {
    const params = { name, kind: "audio", column: entry.column, sampleRate: entry.sample_rate, seconds: entry.seconds, nMels: entry.n_mels, hopMs: entry.hop_ms, windowMs: entry.window_ms, share: entry.share } as AudioParams;
    inputs.push(backboneAudioParams(params, Object.hasOwn(config.model.encoders, name) ? config.model.encoders[name]?.backbone : undefined));
  }
  for (const { entry, name } of entries(d.text, "text")) {
    inputs.push({ name, kind: "text", column: entry.column, encoder: entry.encoder, maxTokens: entry.max_tokens, buckets: entry.buckets, tokenizer: entry.tokenizer, share: entry.share } as TextParams);
  }
  return inputs;
}

/** What must agree between inputs that share an encoder (everything that sizes its layers), by its config key. */
const SHAPE_KEYS: Record<string, string> = { height: "size", width: "size", sampleRate: "sample_rate", seconds: "seconds", nMels: "n_mels", hopMs: "hop_ms", windowMs: "window_ms", encoder: "encoder", maxTokens: "max_tokens", buckets: "buckets" };

/** Checks that inputs sharing an encoder have the same shapes; `where` names the config. */
export function checkSharing(inputs: InputParams[], where: string): void {
  const first = new Map<string, InputParams>();
  for (const input of inputs.filter((i) => i.share)) {
    if ((input as { encoder?: string }).encoder === "transformer") throw new UserError(`${where}: input ${input.name}: share: true needs encoder: ngram (each transformer input fits its own vocabulary)`);
    const owner = first.get(input.kind);
    if (!owner) {
      first.set(input.kind, input);
      continue;
    }
    const differs = Object.keys(SHAPE_KEYS).find((k) => (owner as unknown as Record<string, unknown>)[k] !== (input as unknown as Record<string, unknown>)[k]);
    if (differs !== undefined) throw new UserError(`${where}: data.${input.kind}: inputs ${owner.name} and ${input.name} share an encoder (share: true) but differ in ${SHAPE_KEYS[differs]}`);
  }
}

/** Checks that the inputs can be told apart and none of them reads the label; `where` names the config. */
export function checkInputs(inputs: InputParams[], config: Config, where: string, columnsOf: (input: InputParams) => string[]): void {
  const names = new Set<string>();
  const columns = new Map<string, string>();
  for (const input of inputs) {
    if (names.has(input.name)) throw new UserError(`${where}: two inputs are named ${input.name}: give one of them a different name: key`);
    names.add(input.name);
    for (const column of columnsOf(input)) {
      if (column === config.data.label) throw new UserError(`${where}: column ${column} is the label (data.label) and cannot also be an input (${input.kind})`);
      if (config.data.id !== null && column === config.data.id) throw new UserError(`${where}: column ${column} is the id (data.id) and cannot also be an input (${input.kind})`);
      const other = columns.get(column);
      if (other !== undefined) throw new UserError(`${where}: column ${column} is used by two inputs (${other} and ${input.name})`);
      columns.set(column, input.name);
    }
  }
}

/**
 * Checks model.encoders against the inputs: every key names an input, a backbone reads the
 * kind of input it is on, and inputs that share an encoder have one width and one backbone.
 * `where` names the config.
 */
export function checkEncoderSettings(inputs: InputParams[], config: Config, where: string): void {
  const encoders = config.model.encoders;
  const names = inputs.map((i) => i.name);
  for (const key of Object.keys(encoders)) {
    if (!names.includes(key)) throw new UserError(`${where}: model.encoders.${key}: no input is named ${key} (inputs: ${names.join(", ")})`);
  }
  for (const input of inputs) if (Object.hasOwn(encoders, input.name)) checkBackboneSettings(input, encoders[input.name] ?? {}, where);
  const width = (name: string) => (Object.hasOwn(encoders, name) ? encoders[name]?.features : undefined) ?? config.model.features;
  const backbone = (name: string) => (Object.hasOwn(encoders, name) ? encoders[name]?.backbone : undefined) ?? "none";
  const first = new Map<string, InputParams>();
  for (const input of inputs.filter((i) => i.share)) {
    const owner = first.get(input.kind);
    if (!owner) first.set(input.kind, input);
    else if (width(owner.name) !== width(input.name)) {
      throw new UserError(`${where}: model.encoders: inputs ${owner.name} and ${input.name} share an encoder (share: true) but differ in features (${width(owner.name)} and ${width(input.name)})`);
    } else if (backbone(owner.name) !== backbone(input.name)) {
      throw new UserError(`${where}: model.encoders: inputs ${owner.name} and ${input.name} share an encoder (share: true) but differ in backbone (${backbone(owner.name)} and ${backbone(input.name)})`);
    }
  }
}

/** A backbone's keys: a known backbone on its kind of input (audio: clips long enough for it), and weights only with a backbone. */
function checkBackboneSettings(input: InputParams, settings: EncoderSettings, where: string): void {
  const at = `${where}: model.encoders.${input.name}`;
  const { backbone } = settings;
  if (backbone === undefined) {
    const stray = (["weights", "freeze", "lr_scale"] as const).find((key) => settings[key] !== undefined);
    if (stray) throw new UserError(`${at}.${stray}: needs a backbone (model.encoders.${input.name}.backbone, e.g. resnet18)`);
    return;
  }
  if (!Object.hasOwn(BACKBONES, backbone)) throw new UserError(`${at}.backbone: unknown backbone "${backbone}" (known: ${Object.keys(BACKBONES).join(", ")})`);
  const spec = backboneSpec(backbone);
  const article = /^[aeiou]/.test(input.kind) ? "an" : "a";
  if (input.kind !== spec.kind) throw new UserError(`${at}.backbone: ${backbone} reads ${spec.kind} inputs (${input.name} is ${article} ${input.kind} input)`);
  if (spec.kind === "audio") {
    const { seconds } = input as AudioParams;
    const shortest = spec.minSamples / spec.sampleRate;
    if (Math.round(seconds * spec.sampleRate) < spec.minSamples) throw new UserError(`${where}: data.audio: input ${input.name}: ${backbone} needs clips of at least ${shortest} s (seconds: ${seconds})`);
  }
}
