// Elementwise arithmetic (broadcasting), comparisons, activations, reductions, matmul,
// and the in-place forms that initialisation and optimizers need.
#include "common.h"

namespace mf {

using Info = Napi::CallbackInfo;

// Optional dims for a reduction: absent means "all".
static bool HasDims(const Napi::Value& v) { return !IsAbsent(v); }
static bool KeepDim(const Napi::Value& v) { return IsAbsent(v) ? false : Bool(v); }
static c10::optional<at::Scalar> OptScalar(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return ScalarOf(v);
}

#define UNARY(name, expr)                                  \
  Def(env, exports, name, [](const Info& i) {              \
    auto& x = Unwrap(i[0]);                                \
    return Wrap(i.Env(), expr);                            \
  })

// Tensor handles are plain numbers too, so an operation with a number operand is a
// separate entry point, `<name>Scalar`, as in tch-rs (`mul` and `mul_scalar`).
#define BINARY(name, fn)                                                                      \
  Def(env, exports, name, [](const Info& i) { return Wrap(i.Env(), fn(Unwrap(i[0]), Unwrap(i[1]))); }); \
  Def(env, exports, name "Scalar", [](const Info& i) { return Wrap(i.Env(), fn(Unwrap(i[0]), ScalarOf(i[1]))); })

#define INPLACE_BINARY(name, method)                \
  Def(env, exports, name, [](const Info& i) {      \
    Unwrap(i[0]).method(Unwrap(i[1]));             \
    return i.Env().Undefined();                    \
  });                                              \
  Def(env, exports, name "Scalar", [](const Info& i) { \
    Unwrap(i[0]).method(ScalarOf(i[1]));           \
    return i.Env().Undefined();                    \
  })

static Napi::Value Pair(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& t) {
  return WrapList(env, {std::get<0>(t), std::get<1>(t)});
}

void InitMath(Napi::Env env, Napi::Object exports) {
  // arithmetic
  Def(env, exports, "add", [](const Info& i) {
    auto alpha = IsAbsent(i[2]) ? at::Scalar(1) : ScalarOf(i[2]);
    return Wrap(i.Env(), at::add(Unwrap(i[0]), Unwrap(i[1]), alpha));
  });
  Def(env, exports, "addScalar", [](const Info& i) { return Wrap(i.Env(), at::add(Unwrap(i[0]), ScalarOf(i[1]))); });
  BINARY("sub", at::sub);
  BINARY("mul", at::mul);
  BINARY("div", at::div);
  BINARY("pow", at::pow);
  BINARY("remainder", at::remainder);
  Def(env, exports, "rsub", [](const Info& i) { return Wrap(i.Env(), at::rsub(Unwrap(i[0]), ScalarOf(i[1]))); });
  Def(env, exports, "maximum", [](const Info& i) { return Wrap(i.Env(), at::maximum(Unwrap(i[0]), Unwrap(i[1]))); });
  Def(env, exports, "minimum", [](const Info& i) { return Wrap(i.Env(), at::minimum(Unwrap(i[0]), Unwrap(i[1]))); });
  UNARY("neg", at::neg(x));
  UNARY("abs", at::abs(x));
  UNARY("exp", at::exp(x));
  UNARY("log", at::log(x));
  UNARY("log1p", at::log1p(x));
  UNARY("sqrt", at::sqrt(x));
  UNARY("rsqrt", at::rsqrt(x));
  UNARY("reciprocal", at::reciprocal(x));
  UNARY("sin", at::sin(x));
  UNARY("cos", at::cos(x));
  UNARY("floor", at::floor(x));
  UNARY("ceil", at::ceil(x));
  UNARY("round", at::round(x));
  UNARY("sign", at::sign(x));
  UNARY("real", at::real(x));
  UNARY("imag", at::imag(x));
  UNARY("viewAsReal", at::view_as_real(x));
  Def(env, exports, "clamp", [](const Info& i) { return Wrap(i.Env(), at::clamp(Unwrap(i[0]), OptScalar(i[1]), OptScalar(i[2]))); });

  // comparisons and logic
  BINARY("eq", at::eq);
  BINARY("ne", at::ne);
  BINARY("lt", at::lt);
  BINARY("le", at::le);
  BINARY("gt", at::gt);
  BINARY("ge", at::ge);
  UNARY("logicalNot", at::logical_not(x));
  Def(env, exports, "logicalAnd", [](const Info& i) { return Wrap(i.Env(), at::logical_and(Unwrap(i[0]), Unwrap(i[1]))); });
  Def(env, exports, "logicalOr", [](const Info& i) { return Wrap(i.Env(), at::logical_or(Unwrap(i[0]), Unwrap(i[1]))); });
  UNARY("isnan", at::isnan(x));
  UNARY("isfinite", at::isfinite(x));
  // where(cond, a, aIsScalar, b, bIsScalar)
  Def(env, exports, "where", [](const Info& i) {
    auto& cond = Unwrap(i[0]);
    bool aScalar = Bool(i[2]), bScalar = Bool(i[4]);
    if (aScalar && bScalar) return Wrap(i.Env(), at::where(cond, ScalarOf(i[1]), ScalarOf(i[3])));
    if (aScalar) return Wrap(i.Env(), at::where(cond, ScalarOf(i[1]), Unwrap(i[3])));
    if (bScalar) return Wrap(i.Env(), at::where(cond, Unwrap(i[1]), ScalarOf(i[3])));
    return Wrap(i.Env(), at::where(cond, Unwrap(i[1]), Unwrap(i[3])));
  });
  Def(env, exports, "maskedFill", [](const Info& i) { return Wrap(i.Env(), at::masked_fill(Unwrap(i[0]), Unwrap(i[1]), ScalarOf(i[2]))); });
  Def(env, exports, "allclose", [](const Info& i) {
    return Napi::Boolean::New(i.Env(), at::allclose(Unwrap(i[0]), Unwrap(i[1]), Double(i[2]), Double(i[3])));
  });

  // activations
  UNARY("relu", at::relu(x));
  Def(env, exports, "gelu", [](const Info& i) { return Wrap(i.Env(), at::gelu(Unwrap(i[0]), IsAbsent(i[1]) ? "none" : String(i[1]))); });
  UNARY("silu", at::silu(x));
  // MobileNetV3's piecewise-linear stand-ins for x·sigmoid(x) and sigmoid(x).
  UNARY("hardswish", at::hardswish(x));
  UNARY("hardsigmoid", at::hardsigmoid(x));
  UNARY("sigmoid", at::sigmoid(x));
  UNARY("tanh", at::tanh(x));
  Def(env, exports, "leakyRelu", [](const Info& i) { return Wrap(i.Env(), at::leaky_relu(Unwrap(i[0]), ScalarOf(i[1]))); });
  Def(env, exports, "softplus", [](const Info& i) { return Wrap(i.Env(), at::softplus(Unwrap(i[0]), ScalarOf(i[1]), ScalarOf(i[2]))); });
  Def(env, exports, "softmax", [](const Info& i) { return Wrap(i.Env(), at::softmax(Unwrap(i[0]), Int(i[1]))); });
  Def(env, exports, "logSoftmax", [](const Info& i) { return Wrap(i.Env(), at::log_softmax(Unwrap(i[0]), Int(i[1]))); });

  // reductions
  Def(env, exports, "sum", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    return Wrap(i.Env(), HasDims(i[1]) ? at::sum(x, IntList(i[1]), KeepDim(i[2])) : at::sum(x));
  });
  Def(env, exports, "mean", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    return Wrap(i.Env(), HasDims(i[1]) ? at::mean(x, IntList(i[1]), KeepDim(i[2])) : at::mean(x));
  });
  Def(env, exports, "var", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    bool unbiased = IsAbsent(i[3]) ? true : Bool(i[3]);
    return Wrap(i.Env(), HasDims(i[1]) ? at::var(x, IntList(i[1]), unbiased, KeepDim(i[2])) : at::var(x, unbiased));
  });
  Def(env, exports, "std", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    bool unbiased = IsAbsent(i[3]) ? true : Bool(i[3]);
    return Wrap(i.Env(), HasDims(i[1]) ? at::std(x, IntList(i[1]), unbiased, KeepDim(i[2])) : at::std(x, unbiased));
  });
  Def(env, exports, "amax", [](const Info& i) { return Wrap(i.Env(), at::amax(Unwrap(i[0]), HasDims(i[1]) ? IntList(i[1]) : std::vector<int64_t>{}, KeepDim(i[2]))); });
  Def(env, exports, "amin", [](const Info& i) { return Wrap(i.Env(), at::amin(Unwrap(i[0]), HasDims(i[1]) ? IntList(i[1]) : std::vector<int64_t>{}, KeepDim(i[2]))); });
  Def(env, exports, "maxDim", [](const Info& i) { return Pair(i.Env(), at::max(Unwrap(i[0]), Int(i[1]), KeepDim(i[2]))); });
  Def(env, exports, "minDim", [](const Info& i) { return Pair(i.Env(), at::min(Unwrap(i[0]), Int(i[1]), KeepDim(i[2]))); });
  Def(env, exports, "argmax", [](const Info& i) {
    auto dim = IsAbsent(i[1]) ? c10::optional<int64_t>() : c10::optional<int64_t>(Int(i[1]));
    return Wrap(i.Env(), at::argmax(Unwrap(i[0]), dim, KeepDim(i[2])));
  });
  Def(env, exports, "argmin", [](const Info& i) {
    auto dim = IsAbsent(i[1]) ? c10::optional<int64_t>() : c10::optional<int64_t>(Int(i[1]));
    return Wrap(i.Env(), at::argmin(Unwrap(i[0]), dim, KeepDim(i[2])));
  });
  Def(env, exports, "logsumexp", [](const Info& i) { return Wrap(i.Env(), at::logsumexp(Unwrap(i[0]), IntList(i[1]), KeepDim(i[2]))); });
  Def(env, exports, "norm", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    auto p = ScalarOf(i[1]);
    return Wrap(i.Env(), HasDims(i[2]) ? at::norm(x, p, IntList(i[2]), KeepDim(i[3])) : at::norm(x, p));
  });
  Def(env, exports, "cumsum", [](const Info& i) { return Wrap(i.Env(), at::cumsum(Unwrap(i[0]), Int(i[1]))); });
  UNARY("all", at::all(x));
  UNARY("any", at::any(x));
  Def(env, exports, "topk", [](const Info& i) {
    return Pair(i.Env(), at::topk(Unwrap(i[0]), Int(i[1]), Int(i[2]), Bool(i[3]), Bool(i[4])));
  });
  Def(env, exports, "sort", [](const Info& i) { return Pair(i.Env(), at::sort(Unwrap(i[0]), Int(i[1]), Bool(i[2]))); });

  // linear algebra
  Def(env, exports, "matmul", [](const Info& i) { return Wrap(i.Env(), at::matmul(Unwrap(i[0]), Unwrap(i[1]))); });
  Def(env, exports, "bmm", [](const Info& i) { return Wrap(i.Env(), at::bmm(Unwrap(i[0]), Unwrap(i[1]))); });
  Def(env, exports, "linear", [](const Info& i) { return Wrap(i.Env(), at::linear(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]))); });
  Def(env, exports, "einsum", [](const Info& i) { return Wrap(i.Env(), at::einsum(String(i[0]), TensorList(i[1]))); });

  // in place (no new tensor is returned)
  Def(env, exports, "add_", [](const Info& i) {
    auto alpha = IsAbsent(i[2]) ? at::Scalar(1) : ScalarOf(i[2]);
    Unwrap(i[0]).add_(Unwrap(i[1]), alpha);
    return i.Env().Undefined();
  });
  Def(env, exports, "add_Scalar", [](const Info& i) {
    Unwrap(i[0]).add_(ScalarOf(i[1]));
    return i.Env().Undefined();
  });
  INPLACE_BINARY("sub_", sub_);
  INPLACE_BINARY("mul_", mul_);
  INPLACE_BINARY("div_", div_);
  Def(env, exports, "zero_", [](const Info& i) {
    Unwrap(i[0]).zero_();
    return i.Env().Undefined();
  });
  Def(env, exports, "fill_", [](const Info& i) {
    Unwrap(i[0]).fill_(ScalarOf(i[1]));
    return i.Env().Undefined();
  });
  Def(env, exports, "copy_", [](const Info& i) {
    Unwrap(i[0]).copy_(Unwrap(i[1]));
    return i.Env().Undefined();
  });
  Def(env, exports, "clamp_", [](const Info& i) {
    Unwrap(i[0]).clamp_(OptScalar(i[1]), OptScalar(i[2]));
    return i.Env().Undefined();
  });
  Def(env, exports, "uniform_", [](const Info& i) {
    Unwrap(i[0]).uniform_(Double(i[1]), Double(i[2]));
    return i.Env().Undefined();
  });
  Def(env, exports, "normal_", [](const Info& i) {
    Unwrap(i[0]).normal_(Double(i[1]), Double(i[2]));
    return i.Env().Undefined();
  });
  Def(env, exports, "addcmul_", [](const Info& i) {
    Unwrap(i[0]).addcmul_(Unwrap(i[1]), Unwrap(i[2]), ScalarOf(i[3]));
    return i.Env().Undefined();
  });
  Def(env, exports, "addcdiv_", [](const Info& i) {
    Unwrap(i[0]).addcdiv_(Unwrap(i[1]), Unwrap(i[2]), ScalarOf(i[3]));
    return i.Env().Undefined();
  });
  Def(env, exports, "maskedFill_", [](const Info& i) {
    Unwrap(i[0]).masked_fill_(Unwrap(i[1]), ScalarOf(i[2]));
    return i.Env().Undefined();
  });
}

}  // namespace mf
