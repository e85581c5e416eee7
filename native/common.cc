#include "common.h"

#include <cmath>
#include <unordered_set>

namespace mf {

// Each JavaScript thread (the main one, each worker) has its own table: a handle is a slot
// number that means something only on the thread that made it, and no table is shared
// between threads that run at the same time.
static thread_local std::vector<at::Tensor> slots;
static thread_local std::vector<uint32_t> freeSlots;
static thread_local int64_t live = 0;

int64_t LiveTensors() { return live; }

std::map<std::string, LiveMemory> MemoryByDevice() {
  std::map<std::string, LiveMemory> out;
  // Views share a storage: each storage's bytes are counted once.
  std::unordered_set<const void*> seen;
  for (const auto& t : slots) {
    if (!t.defined()) continue;
    auto& entry = out[t.device().str()];
    entry.tensors++;
    if (!t.has_storage()) continue;
    const void* storage = t.storage().unsafeGetStorageImpl();
    if (seen.insert(storage).second) entry.bytes += static_cast<int64_t>(t.storage().nbytes());
  }
  return out;
}

Napi::Value Wrap(Napi::Env env, at::Tensor tensor) {
  if (!tensor.defined()) return env.Null();
  uint32_t slot;
  if (freeSlots.empty()) {
    slot = static_cast<uint32_t>(slots.size());
    slots.push_back(std::move(tensor));
  } else {
    slot = freeSlots.back();
    freeSlots.pop_back();
    slots[slot] = std::move(tensor);
  }
  live++;
  return Napi::Number::New(env, slot);
}

static uint32_t SlotOf(const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "expected a tensor");
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d < static_cast<double>(slots.size()))) throw Napi::Error::New(value.Env(), "tensor was disposed");
  return static_cast<uint32_t>(d);
}

at::Tensor& Unwrap(const Napi::Value& value) {
  auto& tensor = slots[SlotOf(value)];
  if (!tensor.defined()) throw Napi::Error::New(value.Env(), "tensor was disposed");
  return tensor;
}

void Dispose(const Napi::Value& value) {
  uint32_t slot = SlotOf(value);
  if (!slots[slot].defined()) return;
  slots[slot] = at::Tensor();
  freeSlots.push_back(slot);
  live--;
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
