// An ONNX graph under construction: named values, nodes in topological order (each node is
// added after the nodes that make its inputs), initializers, and the graph's inputs and
// outputs, turned into a ModelProto object that proto.ts encodes.
import { DataType, IR_VERSION, ML_OPSET, OPSET, type DataTypeCode } from "./proto.js";

/** A node attribute, tagged by its ONNX type. */
export type Attribute = { int: number } | { ints: number[] } | { float: number } | { floats: number[] } | { string: string } | { strings: string[] };

/** A graph input or output's dimension: a size, or a name for a dynamic one. */
export type Dim = number | string;

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

const utf8 = (s: string) => new TextEncoder().encode(s);

function attributeProto(name: string, a: Attribute): Record<string, unknown> {
  if ("int" in a) return { name, type: ATTRIBUTE_TYPE.int, i: a.int };
  if ("ints" in a) return { name, type: ATTRIBUTE_TYPE.ints, ints: a.ints };
  if ("float" in a) return { name, type: ATTRIBUTE_TYPE.float, f: a.float };
  if ("floats" in a) return { name, type: ATTRIBUTE_TYPE.floats, floats: a.floats };
  if ("string" in a) return { name, type: ATTRIBUTE_TYPE.string, s: utf8(a.string) };
  return { name, type: ATTRIBUTE_TYPE.strings, strings: a.strings.map(utf8) };
}

function valueInfo(name: string, elemType: DataTypeCode, dims: Dim[]): Record<string, unknown> {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } } };
}

/** Little-endian bytes of a typed array (every platform Node runs modalfuse on is little-endian). */
function bytesOf(data: Float32Array | Float64Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class Graph {
  readonly #nodes: Record<string, unknown>[] = [];
  readonly #initializers: Record<string, unknown>[] = [];
  readonly #inputs: Record<string, unknown>[] = [];
  readonly #outputs: Record<string, unknown>[] = [];
  readonly #used = new Set<string>();
  /** Constants already added, by a key of their contents, so each is stored once. */
  readonly #constants = new Map<string, string>();
  /** Initializers made from the same source object (a weight shared between encoders). */
  readonly #sources = new WeakMap<object, string>();
  #usesMl = false;

  /** A value name not used yet, from `hint`. */
  name(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, "_") || "v";
    let name = base;
    for (let k = 1; this.#used.has(name); k++) name = `${base}_${k}`;
    this.#used.add(name);
    return name;
  }

  /** Declares a graph input, under exactly `name`. */
  input(name: string, elemType: DataTypeCode, dims: Dim[]): string {
    if (this.#used.has(name)) throw new Error(`onnx export: two graph values are named ${name}`);
    this.#used.add(name);
    this.#inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Makes `value` a graph output named exactly `name`. */
  output(name: string, value: string, elemType: DataTypeCode, dims: Dim[]): void {
    const named = this.#used.has(name) ? name : this.#reserve(name);
    this.op("Identity", [value], {}, { output: named });
    this.#outputs.push(valueInfo(named, elemType, dims));
  }

  #reserve(name: string): string {
    this.#used.add(name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  op(type: string, inputs: string[], attributes: Record<string, Attribute> = {}, o: { domain?: string; output?: string } = {}): string {
    return this.ops(type, inputs, 1, attributes, o)[0] as string;
  }

  /** Adds a node with `count` outputs. */
  ops(type: string, inputs: string[], count: number, attributes: Record<string, Attribute> = {}, o: { domain?: string; output?: string } = {}): string[] {
    const outputs = Array.from({ length: count }, (_, i) => (i === 0 && o.output ? o.output : this.name(`${type.toLowerCase()}`)));
    if (o.domain === "ai.onnx.ml") this.#usesMl = true;
    this.#nodes.push({
      name: this.name(`node_${type}`),
      opType: type,
      ...(o.domain ? { domain: o.domain } : {}),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, a]) => attributeProto(name, a)),
    });
    return outputs;
  }

  #initializer(hint: string, dataType: DataTypeCode, dims: number[], data: Float32Array | Float64Array | BigInt64Array | Uint8Array): string {
    const name = this.name(hint);
    this.#initializers.push({ name, dataType, dims, rawData: bytesOf(data) });
    return name;
  }

  /** A float32 constant; values are rounded to float32 as the engine stores them. */
  floats(data: Float32Array | readonly number[], dims: number[], hint = "const"): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`onnx export: ${hint} has ${values.length} values for shape [${dims.join(", ")}]`);
    // Small constants (scalars, statistics) are shared by value; weights are not looked at.
    if (values.length > 64) return this.#initializer(hint, DataType.FLOAT, dims, values);
    const key = `f32:${dims.join("x")}:${Array.from(values).join(",")}`;
    let name = this.#constants.get(key);
    if (name === undefined) this.#constants.set(key, (name = this.#initializer(hint, DataType.FLOAT, dims, values)));
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    return this.floats([value], [], "scalar");
  }

  doubles(data: readonly number[] | Float64Array | Float32Array, dims: number[], hint = "const"): string {
    if (data.length > 64) return this.#initializer(hint, DataType.DOUBLE, dims, Float64Array.from(data));
    const key = `f64:${dims.join("x")}:${Array.from(data).join(",")}`;
    let name = this.#constants.get(key);
    if (name === undefined) this.#constants.set(key, (name = this.#initializer(hint, DataType.DOUBLE, dims, Float64Array.from(data))));
    return name;
  }

  int64s(data: readonly number[], dims: number[] = [data.length], hint = "shape"): string {
    const key = `i64:${dims.join("x")}:${data.join(",")}`;
    let name = this.#constants.get(key);
    if (name === undefined) this.#constants.set(key, (name = this.#initializer(hint, DataType.INT64, dims, BigInt64Array.from(data, (v) => BigInt(v)))));
    return name;
  }

  bools(data: readonly boolean[], dims: number[], hint = "mask"): string {
    const key = `b:${dims.join("x")}:${data.map(Number).join("")}`;
    let name = this.#constants.get(key);
    if (name === undefined) this.#constants.set(key, (name = this.#initializer(hint, DataType.BOOL, dims, Uint8Array.from(data, Number))));
    return name;
  }

  /** A float32 initializer made once per `source` object (a module's weight), whoever asks. */
  weight(source: object, make: () => { data: Float32Array; dims: number[] }, hint: string): string {
    let name = this.#sources.get(source);
    if (name === undefined) {
      const { data, dims } = make();
      this.#sources.set(source, (name = this.#initializer(hint, DataType.FLOAT, dims, data)));
    }
    return name;
  }

  /** The ModelProto as a plain object. */
  model(o: { name: string; producerVersion: string; doc: string; metadata: Record<string, string> }): Record<string, unknown> {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }, ...(this.#usesMl ? [{ domain: "ai.onnx.ml", version: ML_OPSET }] : [])],
      producerName: "modalfuse",
      producerVersion: o.producerVersion,
      docString: o.doc,
      graph: { name: o.name, node: this.#nodes, initializer: this.#initializers, input: this.#inputs, output: this.#outputs },
      metadataProps: Object.entries(o.metadata).map(([key, value]) => ({ key, value })),
    };
  }
}
