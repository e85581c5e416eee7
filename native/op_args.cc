#include "op_args.h"

namespace mf {

void RethrowArgError(const Napi::Env& env, const char* op, const char* arg, const Napi::Error& e) {
  std::string message = std::string(op) + ": argument " + arg + ": " + e.Message();
  std::string kind = e.Value().Get("name").ToString().Utf8Value();
  if (kind == "TypeError") throw Napi::TypeError::New(env, message);
  if (kind == "RangeError") throw Napi::RangeError::New(env, message);
  throw Napi::Error::New(env, message);
}

std::vector<int64_t> IntListOf(const Napi::Value& v, size_t n) {
  if (v.IsNumber()) return std::vector<int64_t>(n, Int(v));
  auto out = IntList(v);
  if (out.size() != n && out.size() != 1)
    throw Napi::RangeError::New(v.Env(), "expected " + std::to_string(n) + " integers, got " + std::to_string(out.size()));
  if (out.size() == 1) out.resize(n, out[0]);
  return out;
}

c10::optional<int64_t> OptInt(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return Int(v);
}

c10::optional<double> OptDouble(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return Double(v);
}

c10::optional<at::Scalar> OptScalar(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return ScalarOf(v);
}

OptInts OptIntList(const Napi::Value& v) {
  if (IsAbsent(v)) return {};
  return {IntList(v)};
}

int64_t ReductionOf(const Napi::Value& v) {
  auto name = String(v);
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw Napi::TypeError::New(v.Env(), "unknown reduction: " + name);
}

Napi::Value WrapPair(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& t) {
  return WrapList(env, {std::get<0>(t), std::get<1>(t)});
}

}  // namespace mf
