// The ONNX protobuf schema, read by protobufjs from the onnx.proto kept beside this file
// (ONNX 1.12's, IR version 8, Apache-2.0): a model is checked against it and encoded to bytes.
import { join } from "node:path";
import protobuf from "protobufjs";
import { packageRoot } from "../../util/package-root.js";

/** IR version 8 is what ONNX 1.12 (Debian 12's python3-onnx) checks; opset 17 belongs to it. */
export const IR_VERSION = 8;
export const OPSET = 17;
/** ai.onnx.ml's LabelEncoder with string keys and int64 values, as version 2 defines it. */
export const ML_OPSET = 2;

/** TensorProto.DataType values used by the export. */
export const DataType = { FLOAT: 1, UINT8: 2, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

let modelType: protobuf.Type | null = null;

function modelProto(): protobuf.Type {
  // tsc does not copy the schema into dist/, so it is read from the package's src/ folder.
  modelType ??= protobuf.loadSync(join(packageRoot(), "src", "export", "onnx", "onnx.proto")).lookupType("onnx.ModelProto");
  return modelType;
}

/** A ModelProto as a plain object (protobufjs's camel-case field names) → its bytes. */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const type = modelProto();
  const problem = type.verify(model);
  if (problem) throw new Error(`onnx export: the model does not fit onnx.proto: ${problem}`);
  return type.encode(type.fromObject(model)).finish();
}

/** A ModelProto's bytes → a plain object (for tests and inspection). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const type = modelProto();
  return type.toObject(type.decode(bytes), { longs: Number, bytes: Array, defaults: false }) as Record<string, unknown>;
}
