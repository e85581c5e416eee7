#include "common.h"

#include <cmath>

namespace mf {

std::atomic<int64_t> liveTensors{0};

static void Finalize(Napi::Env, Box* box) {
  if (box->live) liveTensors--;
  delete box;
}

Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  liveTensors++;
  return Napi::External<Box>::New(env, new Box{std::move(tensor), true}, Finalize);
}

static Box* BoxOf(const Napi::Value& value) {
  if (!value.IsExternal()) throw Napi::TypeError::New(value.Env(), "expected a tensor");
  return value.As<Napi::External<Box>>().Data();
}

at::Tensor& Unwrap(const Napi::Value& value) {
  Box* box = BoxOf(value);
  if (!box->live) throw Napi::Error::New(value.Env(), "tensor was disposed");
  return box->tensor;
}

void Dispose(const Napi::Value& value) {
  Box* box = BoxOf(value);
  if (!box->live) return;
  box->tensor = at::Tensor();
  box->live = false;
  liveTensors--;
}

int64_t Int(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected an integer");
  return v.As<Napi::Number>().Int64Value();
}

double Double(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "expected a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool Bool(const Napi::Value& v) {
  if (!v.IsBoolean()) throw Napi::TypeError::New(v.Env(), "expected a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string String(const Napi::Value& v) {
  if (!v.IsString()) throw Napi::TypeError::New(v.Env(), "expected a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> IntList(const Napi::Value& v) {
  if (v.IsNumber()) return {Int(v)};
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of integers");
  auto arr = v.As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out[i] = Int(arr.Get(i));
  return out;
}

std::vector<at::Tensor> TensorList(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of tensors");
  auto arr = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(Unwrap(arr.Get(i)));
  return out;
}

bool IsAbsent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

c10::optional<at::Tensor> OptTensor(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return Unwrap(v);
}

// A JavaScript number that holds an integer becomes an integral scalar, as a Python int
// does: `longTensor.add_(1)` stays int64 and `floatTensor.mul(2)` stays float32.
at::Scalar ScalarOf(const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(Bool(v));
  double d = Double(v);
  if (std::trunc(d) == d && std::abs(d) <= 9007199254740991.0) return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

static const struct {
  const char* name;
  at::ScalarType type;
} kDTypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf},  {"bfloat16", at::kBFloat16},
    {"int64", at::kLong},    {"int32", at::kInt},      {"uint8", at::kByte},    {"bool", at::kBool},
    {"complex64", at::kComplexFloat},
};

at::ScalarType DType(const Napi::Value& v) {
  std::string name = String(v);
  for (const auto& d : kDTypes)
    if (name == d.name) return d.type;
  throw Napi::TypeError::New(v.Env(), "unknown dtype: " + name);
}

const char* DTypeName(at::ScalarType t) {
  for (const auto& d : kDTypes)
    if (t == d.type) return d.name;
  return c10::toString(t);
}

at::Device DeviceOf(const Napi::Value& v) {
  if (IsAbsent(v)) return at::Device(at::kCPU);
  return at::Device(String(v));
}

at::TensorOptions Options(const Napi::Value& dtype, const Napi::Value& device) {
  auto opts = at::TensorOptions().dtype(IsAbsent(dtype) ? at::kFloat : DType(dtype));
  return opts.device(DeviceOf(device));
}

Napi::Array WrapList(Napi::Env env, const std::vector<at::Tensor>& tensors) {
  auto arr = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); i++) arr.Set(i, Wrap(env, tensors[i]));
  return arr;
}

}  // namespace mf
