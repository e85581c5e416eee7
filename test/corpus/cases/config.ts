// Configs that must be refused before any file is decoded: bad YAML, unknown keys at every
// level, wrong types, missing keys, bad durations and enum values, inputs that clash, and
// `--set` assignments aimed at keys that are not the config's (prototype keys included).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Builder, userError } from "../builder.js";
import { baseConfig, patched, put, tabularConfig, yaml } from "../data.js";
import type { CorpusCase } from "../types.js";

const TRAIN = ["train", "config.yaml", "--out", "run", "--quiet"];

export function configCases(b: Builder): CorpusCase[] {
  const cases: CorpusCase[] = [];
  /** A case whose config.yaml is `body`; `extra` arguments follow the usual train command. */
  const add = (name: string, body: string | Uint8Array | Record<string, unknown>, line: RegExp, extra: string[] = []) => {
    const dir = b.folder("config", name);
    put(dir, "config.yaml", typeof body === "string" || body instanceof Uint8Array ? body : yaml(body));
    cases.push(userError("config", name, dir, [...TRAIN, ...extra], line, ["run"]));
  };
  const tab = tabularConfig();
  const full = baseConfig();
  const withData = (data: Record<string, unknown>) => patched(full, { data });

  // YAML that does not parse, or parses to something that is not a mapping.
  add("yaml-unclosed-bracket", "data: [unclosed\n", /config\.yaml: .*YAML/);
  add("yaml-duplicate-key", yaml(tab) + "data:\n  label: other\n", /config\.yaml: .*(unique|duplicate)/i);
  add("yaml-a-list", "- data\n- train\n", /config\.yaml: .*mapping/);
  add("yaml-binary", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x00]), /config\.yaml/);
  {
    // A config path that is a folder (named like a config, as a half-finished copy would be).
    const dir = b.folder("config", "config-is-a-directory");
    mkdirSync(join(dir, "folder.yaml"));
    cases.push(userError("config", "config-is-a-directory", dir, ["train", "folder.yaml", "--out", "run", "--quiet"], /folder\.yaml/, ["run"]));
  }

  // Unknown keys, one per level of the config.
  add("unknown-top-level-key", patched(tab, { trian: { epochs: 1 } }), /unknown key trian\b/);
  add("unknown-data-key", patched(tab, { data: { tabluar: { numeric: ["a"] } } }), /unknown key data\.tabluar\b/);
  add("unknown-split-key", patched(tab, { data: { split: { valdation: 0.2 } } }), /unknown key data\.split\.valdation\b/);
  add("unknown-key-in-image-list", withData({ image: [{ column: "scan", size: 16, colour: true }] }), /unknown key data\.image\.0\.colour\b/);
  add("unknown-model-key", patched(tab, { model: { fussion: "late" } }), /unknown key model\.fussion\b/);
  add("unknown-train-key", patched(tab, { train: { epoch: 3 } }), /unknown key train\.epoch\b/);

  // Values of the wrong type or out of range.
  add("label-a-list", patched(tab, { data: { label: ["outcome", "site"] } }), /data\.label\b/);
  add("image-size-zero", withData({ image: { column: "scan", size: 0 } }), /data\.image\.size\b/);

  // Keys the config cannot do without.
  add("missing-label", patched(tab, { data: { label: undefined } }), /data\.label\b/);

  // Durations that are not durations.
  add("time-limit-word", patched(tab, { train: { time_limit: "abc" } }), /train\.time_limit\b/);
  add("time-limit-zero", patched(tab, { train: { time_limit: "0s" } }), /train\.time_limit\b/);

  // Values outside their enumerations.
  add("fusion-unknown", patched(tab, { model: { fusion: "sum" } }), /model\.fusion\b/);
  add("on-bad-file-unknown", patched(tab, { data: { on_bad_file: "ignore" } }), /data\.on_bad_file\b/);

  // Inputs that read the label or the id, or clash with each other.
  add("label-as-numeric-input", patched(tab, { data: { tabular: { numeric: ["a", "outcome"] } } }), /\boutcome\b.*\blabel\b/);
  add("id-as-categorical-input", patched(tab, { data: { tabular: { categorical: ["site", "id"] } } }), /\bid\b.*data\.id|column id\b/);
  add("duplicate-input-names", withData({ image: [{ column: "scan", name: "pic" }, { column: "voice", name: "pic" }] }), /\bpic\b/);
  add("same-column-twice", withData({ image: [{ column: "scan" }, { column: "scan", name: "scan2" }] }), /\bscan\b/);

  // Inputs that share an encoder must agree on every size; the line names the config key that differs.
  add(
    "share-different-image-sizes",
    withData({ image: [{ column: "scan", size: 16, share: true }, { column: "voice", name: "other", size: 32, share: true }], audio: undefined }),
    /\bscan\b.*\bother\b.*\bsize\b/,
  );
  add(
    "share-different-sample-rates",
    withData({ image: undefined, audio: [{ column: "voice", sample_rate: 8000, share: true }, { column: "scan", name: "other", sample_rate: 16000, share: true }] }),
    /\bvoice\b.*\bother\b.*\bsample_rate\b/,
  );

  // `--set` reaches only the config's own keys: prototype keys are unknown keys, never a way
  // into Object.prototype (which would change every object in the process).
  add("set-proto-key", tab, /__proto__/, ["--set", "__proto__.polluted=1"]);
  add("set-proto-itself", tab, /__proto__/, ["--set", "__proto__=1"]);
  add("set-nested-proto-key", tab, /data\.__proto__|__proto__/, ["--set", "data.__proto__.polluted=1"]);
  add("set-constructor-key", tab, /\bconstructor\b/, ["--set", "constructor.x=1"]);
  add("set-into-a-value", tab, /model\.fusion|\bfusion\b/, ["--set", "model.fusion.kind=late"]);
  add("set-empty-segment", tab, /train\.\.epochs/, ["--set", "train..epochs=3"]);
  return cases;
}
