// Reading a config: YAML file (or an object), `--set key=value` overrides, validation
// with errors that name the file and the key, and paths made absolute.
import { readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { UserError } from "../errors.js";
import { checkEncoderSettings, checkInputs, checkSharing, configuredInputs } from "../inputs/from-config.js";
import { kindOf } from "../inputs/registry.js";
import { configSchema, type Config, type ConfigInput } from "./schema.js";

export interface LoadedConfig {
  config: Config;
  /** Folder that relative data paths in the config are resolved against. */
  baseDir: string;
  source: string;
}

/** Loads, overrides and validates a config; data paths come back absolute. */
export async function loadConfig(source: string | ConfigInput, overrides: string[] = [], baseDir = process.cwd()): Promise<LoadedConfig> {
  let raw: unknown;
  let name: string;
  if (typeof source === "string") {
    name = source;
    let text: string;
    try {
      text = await readFile(source, "utf8");
    } catch {
      throw new UserError(`${source}: cannot read the config file`);
    }
    try {
      raw = YAML.parse(text);
    } catch (error) {
      const first = String((error as Error).message).split("\n")[0];
      throw new UserError(`${source}: not valid YAML (${first})`);
    }
    baseDir = dirname(resolve(source));
  } else {
    name = "config";
    raw = structuredClone(source);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new UserError(`${name}: the config must be a YAML mapping with data, model and train sections`);
  for (const assignment of overrides) applyOverride(raw as Record<string, unknown>, assignment);
  const config = absolutePaths(validate(raw, name), baseDir);
  await checkWeightsFiles(config, name);
  return { config, baseDir, source: name };
}

/**
 * Keys no config has, which would reach an object's prototype or constructor instead of a
 * section (`--set __proto__.x=1` would otherwise set x on every object in the process).
 */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** `train.epochs=5` sets raw.train.epochs = 5; the value is read as YAML (numbers, lists, null). */
export function applyOverride(raw: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UserError(`--set ${assignment}: expected key=value, e.g. train.epochs=5`);
  const path = assignment.slice(0, eq).trim().split(".");
  if (path.some((key) => key === "")) throw new UserError(`--set ${assignment}: the key ${assignment.slice(0, eq).trim()} has an empty part`);
  const unsafe = path.findIndex((key) => UNSAFE_KEYS.has(key));
  if (unsafe >= 0) throw new UserError(`--set ${assignment}: unknown key ${path.slice(0, unsafe + 1).join(".")}`);
  const text = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch {
    value = text;
  }
  let node: Record<string, unknown> = raw;
  for (const key of path.slice(0, -1)) {
    // Only the config's own keys are sections; an inherited property never is.
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== "object" || Array.isArray(next)) throw new UserError(`--set ${assignment}: ${key} is not a section`);
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function validate(raw: unknown, name: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${name}: ${describeIssue(parsed.error.issues[0] as z.core.$ZodIssue)}`);
  const config = parsed.data;
  const inputs = configuredInputs(config);
  if (inputs.length === 0) throw new UserError(`${name}: no input configured: give data.tabular, data.image, data.audio or data.text`);
  checkInputs(inputs, config, name, (input) => kindOf(input).columns(input));
  checkSharing(inputs, name);
  checkEncoderSettings(inputs, config, name);
  const { validation, test } = config.data.split;
  if (validation + test >= 0.9) throw new UserError(`${name}: data.split.validation + data.split.test must leave rows to train on`);
  return config;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // One column's settings or a list of them: report the branch that matches the value's shape.
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const branch = issue.errors.find((issues) => issues.length > 0 && !(issues[0]?.code === "invalid_type" && issues[0].path.length === 0)) ?? issue.errors[0];
    const inner = branch?.[0];
    if (inner) return describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
  }
  const at = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => (at ? `${at}.${k}` : k));
    return `unknown key ${keys.join(", ")}`;
  }
  if (issue.code === "invalid_type" && issue.message.includes("received undefined")) return `missing key ${at}`;
  return `${at || "config"}: ${issue.message}`;
}

/** Every model.encoders.<input>.weights is a readable file, before any work starts. */
async function checkWeightsFiles(config: Config, name: string): Promise<void> {
  for (const [input, e] of Object.entries(config.model.encoders)) {
    if (e.weights === undefined) continue;
    const info = await stat(e.weights).catch(() => null);
    if (!info?.isFile()) throw new UserError(`${name}: model.encoders.${input}.weights: ${info ? "a folder, not a weights file" : "no such file"}: ${e.weights}`);
  }
}

function absolutePaths(config: Config, baseDir: string): Config {
  const abs = (p: string | null) => (p === null ? null : isAbsolute(p) ? p : resolve(baseDir, p));
  const encoders = Object.fromEntries(Object.entries(config.model.encoders).map(([input, e]) => [input, e.weights === undefined ? e : { ...e, weights: abs(e.weights) as string }]));
  const cache = config.data.cache_dir;
  const text = config.data.text;
  const withTokenizer = <T extends { tokenizer: string | null }>(t: T): T => ({ ...t, tokenizer: abs(t.tokenizer) });
  return {
    ...config,
    data: {
      ...config.data,
      train: abs(config.data.train) as string,
      validation: abs(config.data.validation),
      test: abs(config.data.test),
      cache_dir: typeof cache === "string" ? abs(cache) : cache,
      text: text === null ? null : Array.isArray(text) ? text.map(withTokenizer) : withTokenizer(text),
    },
    model: { ...config.model, encoders },
  };
}

/** The config as YAML, with data paths relative to `dir` so a run folder can move with its data. */
export function configYaml(config: Config, dir: string): string {
  const rel = (p: string | null) => (p === null ? null : relative(dir, p) || ".");
  const portable = { ...config, data: { ...config.data, train: rel(config.data.train), validation: rel(config.data.validation), test: rel(config.data.test) } };
  return YAML.stringify(portable);
}
