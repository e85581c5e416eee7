// The engine's regular ops: each is one call of an ATen function with converted
// arguments. scripts/gen-ops.mjs turns every entry into a native registration
// (native/ops.generated.cc), a typed binding entry and, where asked, a Tensor method
// (src/torch/ops.generated.ts) and an F.* function (src/torch/functional.generated.ts).
// Adding an op is adding an entry here and running `make build`.
//
// Entry fields (data only):
//   name        the addon's export (camelCase); the TypeScript binding uses the same name
//   args        [{ name, type, default?, ts?, hidden? }] in the addon's argument order
//                 type: Tensor Tensor? Tensor[] int int? int[] int[N] int[]? float float?
//                       bool Scalar Scalar? str reduction, or "Tensor|Scalar" (a second
//                       export, <name>Scalar, takes the number; the wrapper picks one)
//                 default: used by the addon when the argument is absent (null: none)
//                 ts: the wrapper's parameter type where it is narrower than the type's
//                 hidden: left out of the wrappers (the addon's default applies)
//   returns     Tensor | Tensor[] | (Tensor,Tensor) | bool | self (in place: the wrapper returns `this`)
//   aten        "at::fn" called with the arguments, or ".fn", a method of the first
//   order       the ATen call's arguments when they differ from args (names, or C++ literals)
//   select      for an ATen function returning a tuple: the element the op returns
//   method      a Tensor method: true (same name) or its name
//   functional  an F.* function: true (same name) or its name
//   options     the F.* function takes these args in one options object: { type, args, required? }
//   names       field names of a (Tensor,Tensor) result in the wrappers
//   doc         the wrappers' doc comment

const T = (name) => ({ name, type: "Tensor" });
const unary = (name, aten, extra = {}) => ({ name, args: [T("self")], returns: "Tensor", aten, method: true, ...extra });
const binary = (name, aten) => ({ name, args: [T("self"), { name: "other", type: "Tensor|Scalar" }], returns: "Tensor", aten, method: true });
const inplace = (name) => ({ name, args: [T("self"), { name: "other", type: "Tensor|Scalar" }], returns: "self", aten: `.${name}`, method: true });
const dims = { name: "dims", type: "int[]?", default: null, ts: "number | number[]" };
const keepdim = { name: "keepdim", type: "bool", default: false };
const reduction = { name: "reduction", type: "reduction", default: "mean", ts: "Reduction" };
const pair = (name, d) => ({ name, type: "int[2]", default: d, ts: "Pair" });
const single = (name, d) => ({ name, type: "int[1]", default: d, ts: "number" });

export const ops = [
  // ---- arithmetic ----
  {
    name: "add",
    args: [T("self"), { name: "other", type: "Tensor|Scalar" }, { name: "alpha", type: "Scalar", default: 1, ts: "number" }],
    returns: "Tensor",
    aten: "at::add",
    method: true,
  },
  binary("sub", "at::sub"),
  binary("mul", "at::mul"),
  binary("div", "at::div"),
  { ...binary("pow", "at::pow"), args: [T("self"), { name: "exponent", type: "Tensor|Scalar" }] },
  binary("remainder", "at::remainder"),
  { name: "rsub", args: [T("self"), { name: "other", type: "Scalar", ts: "number" }], returns: "Tensor", aten: "at::rsub", method: true, doc: "number - this" },
  { name: "maximum", args: [T("self"), T("other")], returns: "Tensor", aten: "at::maximum", method: true },
  { name: "minimum", args: [T("self"), T("other")], returns: "Tensor", aten: "at::minimum", method: true },
  ...["neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "floor", "ceil", "round", "sign"].map((n) => unary(n, `at::${n}`)),
  {
    name: "clamp",
    args: [T("self"), { name: "min", type: "Scalar?", default: null, ts: "number | null" }, { name: "max", type: "Scalar?", default: null, ts: "number | null" }],
    returns: "Tensor",
    aten: "at::clamp",
    method: true,
  },
  unary("real", "at::real"),
  unary("imag", "at::imag"),
  unary("viewAsReal", "at::view_as_real"),

  // ---- comparisons and logic ----
  ...["eq", "ne", "lt", "le", "gt", "ge"].map((n) => binary(n, `at::${n}`)),
  unary("logicalNot", "at::logical_not"),
  { name: "logicalAnd", args: [T("self"), T("other")], returns: "Tensor", aten: "at::logical_and", method: true },
  { name: "logicalOr", args: [T("self"), T("other")], returns: "Tensor", aten: "at::logical_or", method: true },
  unary("isnan", "at::isnan"),
  unary("isfinite", "at::isfinite"),
  {
    name: "maskedFill",
    args: [T("self"), T("mask"), { name: "value", type: "Scalar", ts: "number" }],
    returns: "Tensor",
    aten: "at::masked_fill",
    method: true,
    doc: "Where `mask` is true, `value`; elsewhere this tensor's element.",
  },
  {
    name: "allclose",
    args: [T("self"), T("other"), { name: "rtol", type: "float", default: 1e-5 }, { name: "atol", type: "float", default: 1e-8 }],
    returns: "bool",
    aten: "at::allclose",
    method: true,
  },

  // ---- activations ----
  unary("relu", "at::relu", { functional: true }),
  {
    name: "gelu",
    args: [T("self"), { name: "approximate", type: "str", default: "none", ts: '"none" | "tanh"' }],
    returns: "Tensor",
    aten: "at::gelu",
    method: true,
  },
  unary("silu", "at::silu", { functional: true }),
  unary("hardswish", "at::hardswish", { functional: true, doc: "x · relu6(x + 3) / 6." }),
  unary("hardsigmoid", "at::hardsigmoid", { functional: true, doc: "relu6(x + 3) / 6." }),
  unary("sigmoid", "at::sigmoid"),
  unary("tanh", "at::tanh"),
  { name: "leakyRelu", args: [T("self"), { name: "slope", type: "Scalar", default: 0.01, ts: "number" }], returns: "Tensor", aten: "at::leaky_relu", method: true },
  {
    name: "softplus",
    args: [T("self"), { name: "beta", type: "Scalar", default: 1, ts: "number" }, { name: "threshold", type: "Scalar", default: 20, ts: "number" }],
    returns: "Tensor",
    aten: "at::softplus",
    method: true,
  },
  { name: "softmax", args: [T("self"), { name: "dim", type: "int" }], returns: "Tensor", aten: "at::softmax", method: true, functional: true },
  { name: "logSoftmax", args: [T("self"), { name: "dim", type: "int" }], returns: "Tensor", aten: "at::log_softmax", method: true, functional: true },

  // ---- reductions (dims absent: over everything) ----
  { name: "sum", args: [T("self"), dims, keepdim], returns: "Tensor", aten: "at::sum", method: true },
  { name: "mean", args: [T("self"), dims, keepdim], returns: "Tensor", aten: "at::mean", method: true },
  {
    name: "var",
    args: [T("self"), dims, keepdim, { name: "unbiased", type: "bool", default: true }],
    returns: "Tensor",
    aten: "at::var",
    order: ["self", "dims", "unbiased", "keepdim"],
    method: true,
  },
  {
    name: "std",
    args: [T("self"), dims, keepdim, { name: "unbiased", type: "bool", default: true }],
    returns: "Tensor",
    aten: "at::std",
    order: ["self", "dims", "unbiased", "keepdim"],
    method: true,
  },
  { name: "amax", args: [T("self"), { ...dims, type: "int[]", default: [] }, keepdim], returns: "Tensor", aten: "at::amax", method: true, doc: "Largest value over dims (all when absent)." },
  { name: "amin", args: [T("self"), { ...dims, type: "int[]", default: [] }, keepdim], returns: "Tensor", aten: "at::amin", method: true },
  {
    name: "maxDim",
    args: [T("self"), { name: "dim", type: "int" }, keepdim],
    returns: "(Tensor,Tensor)",
    names: ["values", "indices"],
    aten: "at::max",
    method: "max",
    doc: "Largest values along one dim, and where they are.",
  },
  { name: "minDim", args: [T("self"), { name: "dim", type: "int" }, keepdim], returns: "(Tensor,Tensor)", names: ["values", "indices"], aten: "at::min", method: "min" },
  { name: "argmax", args: [T("self"), { name: "dim", type: "int?", default: null, ts: "number" }, keepdim], returns: "Tensor", aten: "at::argmax", method: true },
  { name: "argmin", args: [T("self"), { name: "dim", type: "int?", default: null, ts: "number" }, keepdim], returns: "Tensor", aten: "at::argmin", method: true },
  { name: "logsumexp", args: [T("self"), { name: "dims", type: "int[]", ts: "number | number[]" }, keepdim], returns: "Tensor", aten: "at::logsumexp", method: true },
  { name: "cumsum", args: [T("self"), { name: "dim", type: "int" }], returns: "Tensor", aten: "at::cumsum", method: true },
  unary("all", "at::all"),
  unary("any", "at::any"),
  {
    name: "topk",
    args: [T("self"), { name: "k", type: "int" }, { name: "dim", type: "int", default: -1 }, { name: "largest", type: "bool", default: true }, { name: "sorted", type: "bool", default: true }],
    returns: "(Tensor,Tensor)",
    names: ["values", "indices"],
    aten: "at::topk",
    method: true,
  },
  {
    name: "sort",
    args: [T("self"), { name: "dim", type: "int", default: -1 }, { name: "descending", type: "bool", default: false }],
    returns: "(Tensor,Tensor)",
    names: ["values", "indices"],
    aten: "at::sort",
    method: true,
  },

  // ---- linear algebra ----
  { name: "matmul", args: [T("self"), T("other")], returns: "Tensor", aten: "at::matmul", method: true },
  { name: "bmm", args: [T("self"), T("other")], returns: "Tensor", aten: "at::bmm", method: true },
  { name: "linear", args: [T("input"), T("weight"), { name: "bias", type: "Tensor?", default: null }], returns: "Tensor", aten: "at::linear", functional: true },
  { name: "einsum", args: [{ name: "equation", type: "str" }, { name: "tensors", type: "Tensor[]" }], returns: "Tensor", aten: "at::einsum" },

  // ---- in place (the wrappers return the tensor itself) ----
  {
    name: "add_",
    args: [T("self"), { name: "other", type: "Tensor|Scalar" }, { name: "alpha", type: "Scalar", default: 1, ts: "number" }],
    returns: "self",
    aten: ".add_",
    method: true,
  },
  inplace("sub_"),
  inplace("mul_"),
  inplace("div_"),
  { name: "zero_", args: [T("self")], returns: "self", aten: ".zero_", method: true },
  { name: "fill_", args: [T("self"), { name: "value", type: "Scalar", ts: "number" }], returns: "self", aten: ".fill_", method: true },
  { name: "copy_", args: [T("self"), T("src")], returns: "self", aten: ".copy_", method: true },
  {
    name: "clamp_",
    args: [T("self"), { name: "min", type: "Scalar?", default: null, ts: "number | null" }, { name: "max", type: "Scalar?", default: null, ts: "number | null" }],
    returns: "self",
    aten: ".clamp_",
    method: true,
  },
  { name: "uniform_", args: [T("self"), { name: "low", type: "float", default: 0 }, { name: "high", type: "float", default: 1 }], returns: "self", aten: ".uniform_", method: true },
  { name: "normal_", args: [T("self"), { name: "mean", type: "float", default: 0 }, { name: "std", type: "float", default: 1 }], returns: "self", aten: ".normal_", method: true },
  { name: "addcmul_", args: [T("self"), T("a"), T("b"), { name: "value", type: "Scalar", default: 1, ts: "number" }], returns: "self", aten: ".addcmul_", method: true },
  { name: "addcdiv_", args: [T("self"), T("a"), T("b"), { name: "value", type: "Scalar", default: 1, ts: "number" }], returns: "self", aten: ".addcdiv_", method: true },
  { name: "maskedFill_", args: [T("self"), T("mask"), { name: "value", type: "Scalar", ts: "number" }], returns: "self", aten: ".masked_fill_", method: true },

  // ---- shape and indexing ----
  { name: "reshape", args: [T("self"), { name: "shape", type: "int[]" }], returns: "Tensor", aten: "at::reshape", method: true },
  { name: "view", args: [T("self"), { name: "shape", type: "int[]" }], returns: "Tensor", aten: ".view", method: true },
  { name: "permute", args: [T("self"), { name: "dims", type: "int[]" }], returns: "Tensor", aten: ".permute", method: true },
  { name: "transpose", args: [T("self"), { name: "a", type: "int" }, { name: "b", type: "int" }], returns: "Tensor", aten: "at::transpose", method: true },
  { name: "flatten", args: [T("self"), { name: "start", type: "int", default: 0 }, { name: "end", type: "int", default: -1 }], returns: "Tensor", aten: "at::flatten", method: true },
  { name: "unsqueeze", args: [T("self"), { name: "dim", type: "int" }], returns: "Tensor", aten: "at::unsqueeze", method: true },
  { name: "expand", args: [T("self"), { name: "shape", type: "int[]" }], returns: "Tensor", aten: ".expand", method: true },
  { name: "repeat", args: [T("self"), { name: "repeats", type: "int[]" }], returns: "Tensor", aten: ".repeat", method: true },
  { name: "flip", args: [T("self"), { name: "dims", type: "int[]" }], returns: "Tensor", aten: "at::flip", method: true },
  { name: "cat", args: [{ name: "tensors", type: "Tensor[]" }, { name: "dim", type: "int", default: 0 }], returns: "Tensor", aten: "at::cat" },
  { name: "stack", args: [{ name: "tensors", type: "Tensor[]" }, { name: "dim", type: "int", default: 0 }], returns: "Tensor", aten: "at::stack" },
  {
    name: "slice",
    args: [T("self"), { name: "dim", type: "int" }, { name: "start", type: "int?" }, { name: "end", type: "int?" }, { name: "step", type: "int", default: 1 }],
    returns: "Tensor",
    aten: "at::slice",
    method: true,
    doc: "Elements start..end (end exclusive, either may be null for the edge) with a step, along dim.",
  },
  {
    name: "narrow",
    args: [T("self"), { name: "dim", type: "int" }, { name: "start", type: "int" }, { name: "length", type: "int" }],
    returns: "Tensor",
    aten: "at::narrow",
    method: true,
  },
  { name: "select", args: [T("self"), { name: "dim", type: "int" }, { name: "index", type: "int" }], returns: "Tensor", aten: "at::select", method: true },
  { name: "indexSelect", args: [T("self"), { name: "dim", type: "int" }, T("index")], returns: "Tensor", aten: "at::index_select", method: true },
  { name: "gather", args: [T("self"), { name: "dim", type: "int" }, T("index")], returns: "Tensor", aten: "at::gather", method: true },
  { name: "scatter", args: [T("self"), { name: "dim", type: "int" }, T("index"), T("src")], returns: "Tensor", aten: "at::scatter", method: true },
  { name: "chunk", args: [T("self"), { name: "chunks", type: "int" }, { name: "dim", type: "int", default: 0 }], returns: "Tensor[]", aten: "at::chunk", method: true },
  { name: "split", args: [T("self"), { name: "size", type: "int" }, { name: "dim", type: "int", default: 0 }], returns: "Tensor[]", aten: "at::split", method: true },
  { name: "unbind", args: [T("self"), { name: "dim", type: "int", default: 0 }], returns: "Tensor[]", aten: "at::unbind", method: true },
  { name: "tril", args: [T("self"), { name: "diagonal", type: "int", default: 0 }], returns: "Tensor", aten: "at::tril", method: true },
  { name: "oneHot", args: [T("indices"), { name: "numClasses", type: "int" }], returns: "Tensor", aten: "at::one_hot", functional: true },
  {
    name: "pad",
    args: [T("self"), { name: "pads", type: "int[]" }, { name: "mode", type: "str", default: "constant" }, { name: "value", type: "float?", default: null }],
    returns: "Tensor",
    aten: "at::pad",
  },

  // ---- nn: convolution and pooling ----
  ...[1, 2].map((d) => ({
    name: `conv${d}d`,
    args: [T("input"), T("weight"), { name: "bias", type: "Tensor?", default: null }, ...["stride", "padding", "dilation"].map((n) => ({ name: n, type: `int[${d}]`, default: Array(d).fill(n === "padding" ? 0 : 1) })), { name: "groups", type: "int", default: 1 }],
    returns: "Tensor",
    aten: `at::conv${d}d`,
  })),
  ...[1, 2].map((d) => {
    const p = d === 1 ? single : pair;
    const P = d === 1 ? "number" : "Pair";
    return {
      name: `maxPool${d}d`,
      args: [T("input"), p("kernel"), p("stride", []), p("padding", Array(d).fill(0)), { ...p("dilation", Array(d).fill(1)), hidden: true }, { name: "ceilMode", type: "bool", default: false }],
      returns: "Tensor",
      aten: `at::max_pool${d}d`,
      functional: true,
      options: { type: `PoolOptions<${P}>`, args: ["stride", "padding", "ceilMode"] },
    };
  }),
  ...[1, 2].map((d) => {
    const p = d === 1 ? single : pair;
    const P = d === 1 ? "number" : "Pair";
    return {
      name: `avgPool${d}d`,
      args: [T("input"), p("kernel"), p("stride", []), p("padding", Array(d).fill(0)), { name: "ceilMode", type: "bool", default: false }],
      returns: "Tensor",
      aten: `at::avg_pool${d}d`,
      functional: true,
      options: { type: `PoolOptions<${P}>`, args: ["stride", "padding", "ceilMode"] },
    };
  }),
  { name: "adaptiveAvgPool1d", args: [T("input"), single("size")], returns: "Tensor", aten: "at::adaptive_avg_pool1d", functional: true },
  { name: "adaptiveAvgPool2d", args: [T("input"), pair("size")], returns: "Tensor", aten: "at::adaptive_avg_pool2d", functional: true },
  { name: "adaptiveMaxPool2d", args: [T("input"), pair("size")], returns: "Tensor", aten: "at::adaptive_max_pool2d", select: 0, functional: true },

  // ---- nn: normalisation, dropout, embedding ----
  {
    name: "batchNorm",
    args: [
      T("input"),
      { name: "weight", type: "Tensor?", default: null },
      { name: "bias", type: "Tensor?", default: null },
      { name: "runningMean", type: "Tensor?", default: null },
      { name: "runningVar", type: "Tensor?", default: null },
      { name: "training", type: "bool" },
      { name: "momentum", type: "float", default: 0.1 },
      { name: "eps", type: "float", default: 1e-5 },
    ],
    returns: "Tensor",
    aten: "at::batch_norm",
    order: ["input", "weight", "bias", "runningMean", "runningVar", "training", "momentum", "eps", "true"],
    functional: true,
    options: { type: "BatchNormOptions", args: ["weight", "bias", "runningMean", "runningVar", "training", "momentum", "eps"], required: true },
    doc: "Batch normalisation; in training it also updates the running statistics in place.",
  },
  {
    name: "layerNorm",
    args: [T("input"), { name: "normalizedShape", type: "int[]" }, { name: "weight", type: "Tensor?", default: null }, { name: "bias", type: "Tensor?", default: null }, { name: "eps", type: "float", default: 1e-5 }],
    returns: "Tensor",
    aten: "at::layer_norm",
    order: ["input", "normalizedShape", "weight", "bias", "eps", "true"],
    functional: true,
  },
  {
    name: "groupNorm",
    args: [T("input"), { name: "groups", type: "int" }, { name: "weight", type: "Tensor?", default: null }, { name: "bias", type: "Tensor?", default: null }, { name: "eps", type: "float", default: 1e-5 }],
    returns: "Tensor",
    aten: "at::group_norm",
    order: ["input", "groups", "weight", "bias", "eps", "true"],
    functional: true,
  },
  { name: "dropout", args: [T("input"), { name: "p", type: "float" }, { name: "training", type: "bool" }], returns: "Tensor", aten: "at::dropout", functional: true },
  {
    name: "featureDropout",
    args: [T("input"), { name: "p", type: "float" }, { name: "training", type: "bool" }],
    returns: "Tensor",
    aten: "at::feature_dropout",
    functional: "dropout2d",
    doc: "Drops whole channels (as nn.Dropout2d).",
  },
  {
    name: "embedding",
    args: [T("weight"), T("indices"), { name: "paddingIdx", type: "int", default: -1, ts: "number" }],
    returns: "Tensor",
    aten: "at::embedding",
    functional: true,
  },

  // ---- nn: losses ----
  {
    name: "crossEntropy",
    args: [
      T("logits"),
      T("target"),
      { name: "weight", type: "Tensor?", default: null },
      reduction,
      { name: "ignoreIndex", type: "int", default: -100 },
      { name: "labelSmoothing", type: "float", default: 0 },
    ],
    returns: "Tensor",
    aten: "at::cross_entropy_loss",
    functional: true,
    options: { type: "CrossEntropyOptions", args: ["weight", "reduction", "ignoreIndex", "labelSmoothing"] },
    doc: "Cross-entropy of logits [N, C] against class indices [N] (int64).",
  },
  {
    name: "nllLoss",
    args: [T("logProbs"), T("target"), { name: "weight", type: "Tensor?", default: null }, reduction, { name: "ignoreIndex", type: "int", default: -100 }],
    returns: "Tensor",
    aten: "at::nll_loss",
    functional: true,
    options: { type: 'Omit<CrossEntropyOptions, "labelSmoothing">', args: ["weight", "reduction", "ignoreIndex"] },
  },
  { name: "mseLoss", args: [T("input"), T("target"), reduction], returns: "Tensor", aten: "at::mse_loss", functional: true },
  {
    name: "bceWithLogits",
    args: [T("input"), T("target"), { name: "weight", type: "Tensor?", default: null }, { name: "posWeight", type: "Tensor?", default: null }, reduction],
    returns: "Tensor",
    aten: "at::binary_cross_entropy_with_logits",
    functional: true,
    options: { type: "BceWithLogitsOptions", args: ["weight", "posWeight", "reduction"] },
  },

  // ---- signal ----
  {
    name: "stft",
    args: [
      T("input"),
      { name: "nFft", type: "int" },
      { name: "hopLength", type: "int?", default: null, ts: "number" },
      { name: "winLength", type: "int?", default: null, ts: "number" },
      { name: "window", type: "Tensor?", default: null },
      { name: "center", type: "bool", default: true },
      { name: "padMode", type: "str", default: "reflect", ts: '"constant" | "reflect"' },
      { name: "normalized", type: "bool", default: false },
      { name: "onesided", type: "bool", default: true },
    ],
    returns: "Tensor",
    aten: "at::stft",
    order: ["input", "nFft", "hopLength", "winLength", "window", "center", "padMode", "normalized", "onesided", "true"],
    functional: true,
    options: { type: "StftOptions", args: ["nFft", "hopLength", "winLength", "window", "center", "padMode", "normalized", "onesided"], required: true },
    doc: "Short-time Fourier transform of [N, samples] or [samples]: complex [.., nFft/2+1, frames].",
  },
];
