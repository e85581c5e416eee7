// What the generated registrations (ops.generated.cc) need beyond common.h: converters for
// the table's optional types, and Arg, which puts the op's and the argument's names in
// front of a conversion error ("conv2d: argument groups: expected an integer").
#pragma once

#include "common.h"

namespace mf {

// Rethrows a conversion error as the same kind of error, its message prefixed.
[[noreturn]] void RethrowArgError(const Napi::Env& env, const char* op, const char* arg, const Napi::Error& e);

template <typename Convert>
auto Arg(const Napi::CallbackInfo& info, const char* op, const char* arg, size_t k, Convert convert) -> decltype(convert(info[k])) {
  try {
    return convert(info[k]);
  } catch (const Napi::Error& e) {
    RethrowArgError(info.Env(), op, arg, e);
  }
}

// An int[N] argument: a number stands for N copies of itself, as in PyTorch's schemas.
std::vector<int64_t> IntListOf(const Napi::Value& v, size_t n);

c10::optional<int64_t> OptInt(const Napi::Value& v);
c10::optional<double> OptDouble(const Napi::Value& v);
c10::optional<at::Scalar> OptScalar(const Napi::Value& v);

// An int[]? argument (absent: none), passed to ATen as an OptionalIntArrayRef.
struct OptInts {
  c10::optional<std::vector<int64_t>> value;
  operator at::OptionalIntArrayRef() const { return value ? at::OptionalIntArrayRef(*value) : at::OptionalIntArrayRef(); }
};
OptInts OptIntList(const Napi::Value& v);

// "mean" | "sum" | "none", as at::Reduction.
int64_t ReductionOf(const Napi::Value& v);

Napi::Value WrapPair(Napi::Env env, const std::tuple<at::Tensor, at::Tensor>& t);

}  // namespace mf
