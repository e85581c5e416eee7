// Tensors themselves: creation, bytes in and out, properties, autograd, and the runtime
// (seeds, threads, devices, the live-tensor count).
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstring>
#include <vector>

#include "common.h"

namespace mf {

using Info = Napi::CallbackInfo;

static Napi::Value FromBytes(const Info& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "fromBytes expects a typed array or Buffer");
  auto view = info[0].As<Napi::TypedArray>();
  auto shape = IntList(info[1]);
  auto tensor = at::empty(shape, at::TensorOptions().dtype(DType(info[2])));
  size_t bytes = tensor.numel() * tensor.element_size();
  if (view.ByteLength() != bytes)
    throw Napi::RangeError::New(info.Env(), "fromBytes: " + std::to_string(view.ByteLength()) + " bytes given, shape and dtype need " + std::to_string(bytes));
  auto* data = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  if (bytes) std::memcpy(tensor.data_ptr(), data, bytes);
  if (!IsAbsent(info[3])) tensor = tensor.to(DeviceOf(info[3]));
  return Wrap(info.Env(), tensor);
}

static Napi::Value ToBytes(const Info& info) {
  auto tensor = Unwrap(info[0]).detach().to(at::kCPU).contiguous();
  size_t bytes = tensor.numel() * tensor.element_size();
  return Napi::Buffer<uint8_t>::Copy(info.Env(), static_cast<uint8_t*>(tensor.data_ptr()), bytes);
}

static Napi::Value Shape(const Info& info) {
  auto sizes = Unwrap(info[0]).sizes();
  auto arr = Napi::Array::New(info.Env(), sizes.size());
  for (size_t i = 0; i < sizes.size(); i++) arr.Set(i, Napi::Number::New(info.Env(), static_cast<double>(sizes[i])));
  return arr;
}

static Napi::Value Item(const Info& info) {
  auto& t = Unwrap(info[0]);
  if (t.numel() != 1) throw Napi::RangeError::New(info.Env(), "item() needs a tensor of one element, got " + std::to_string(t.numel()));
  auto s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
  return Napi::Number::New(info.Env(), s.toDouble());
}

static Napi::Value Info_(const Info& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("version", TORCH_VERSION);
  out.Set("cudaBuilt", at::hasCUDA());
  bool cuda = torch::cuda::is_available();
  out.Set("cudaAvailable", cuda);
  out.Set("cudaDevices", Napi::Number::New(env, cuda ? static_cast<double>(torch::cuda::device_count()) : 0));
  out.Set("mkldnn", at::hasMKLDNN());
  out.Set("openmp", at::hasOpenMP());
  out.Set("parallel", at::get_parallel_info());
  return out;
}

// CUDA autocast is thread-local state in libtorch; every engine call from JavaScript runs on
// the main thread, so a scope opened by autocastEnter covers exactly the calls made before
// its autocastExit. The stack restores what was there before, so scopes nest.
struct AutocastState {
  bool enabled;
  at::ScalarType dtype;
};
static thread_local std::vector<AutocastState> autocastStack;

// libtorch 2.4 replaced the CUDA-only calls with ones taking a device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
static AutocastState CudaAutocast() { return {at::autocast::is_autocast_enabled(at::kCUDA), at::autocast::get_autocast_dtype(at::kCUDA)}; }
static void SetCudaAutocast(AutocastState s) {
  at::autocast::set_autocast_dtype(at::kCUDA, s.dtype);
  at::autocast::set_autocast_enabled(at::kCUDA, s.enabled);
}
#else
static AutocastState CudaAutocast() { return {at::autocast::is_enabled(), at::autocast::get_autocast_gpu_dtype()}; }
static void SetCudaAutocast(AutocastState s) {
  at::autocast::set_autocast_gpu_dtype(s.dtype);
  at::autocast::set_enabled(s.enabled);
}
#endif

static Napi::Value AutocastEnter(const Info& info) {
  autocastStack.push_back(CudaAutocast());
  SetCudaAutocast({true, DType(info[0])});
  at::autocast::increment_nesting();
  return info.Env().Undefined();
}

static Napi::Value AutocastExit(const Info& info) {
  if (autocastStack.empty()) throw Napi::Error::New(info.Env(), "autocastExit without a matching autocastEnter");
  // The cast weights are cached while any scope is open; freed when the outermost closes.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetCudaAutocast(autocastStack.back());
  autocastStack.pop_back();
  return info.Env().Undefined();
}

void InitTensor(Napi::Env env, Napi::Object exports) {
  // creation
  Def(env, exports, "fromBytes", FromBytes);
  Def(env, exports, "toBytes", ToBytes);
  Def(env, exports, "zeros", [](const Info& i) { return Wrap(i.Env(), at::zeros(IntList(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "ones", [](const Info& i) { return Wrap(i.Env(), at::ones(IntList(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "empty", [](const Info& i) { return Wrap(i.Env(), at::empty(IntList(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "full", [](const Info& i) { return Wrap(i.Env(), at::full(IntList(i[0]), ScalarOf(i[1]), Options(i[2], i[3]))); });
  Def(env, exports, "scalarTensor", [](const Info& i) { return Wrap(i.Env(), at::scalar_tensor(ScalarOf(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "arange", [](const Info& i) {
    return Wrap(i.Env(), at::arange(ScalarOf(i[0]), ScalarOf(i[1]), ScalarOf(i[2]), Options(i[3], i[4])));
  });
  Def(env, exports, "linspace", [](const Info& i) {
    return Wrap(i.Env(), at::linspace(ScalarOf(i[0]), ScalarOf(i[1]), Int(i[2]), Options(i[3], i[4])));
  });
  Def(env, exports, "eye", [](const Info& i) { return Wrap(i.Env(), at::eye(Int(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "rand", [](const Info& i) { return Wrap(i.Env(), at::rand(IntList(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "randn", [](const Info& i) { return Wrap(i.Env(), at::randn(IntList(i[0]), Options(i[1], i[2]))); });
  Def(env, exports, "randint", [](const Info& i) {
    return Wrap(i.Env(), at::randint(Int(i[0]), Int(i[1]), IntList(i[2]), Options(i[3], i[4]).dtype(at::kLong)));
  });
  Def(env, exports, "randperm", [](const Info& i) { return Wrap(i.Env(), at::randperm(Int(i[0]), Options(i[1], i[2]).dtype(at::kLong))); });
  Def(env, exports, "hannWindow", [](const Info& i) { return Wrap(i.Env(), at::hann_window(Int(i[0]), Bool(i[1]), Options(i[2], i[3]))); });
  Def(env, exports, "zerosLike", [](const Info& i) { return Wrap(i.Env(), at::zeros_like(Unwrap(i[0]))); });
  Def(env, exports, "onesLike", [](const Info& i) { return Wrap(i.Env(), at::ones_like(Unwrap(i[0]))); });
  Def(env, exports, "randLike", [](const Info& i) { return Wrap(i.Env(), at::rand_like(Unwrap(i[0]))); });
  Def(env, exports, "randnLike", [](const Info& i) { return Wrap(i.Env(), at::randn_like(Unwrap(i[0]))); });

  // properties
  Def(env, exports, "shape", Shape);
  Def(env, exports, "dtype", [](const Info& i) { return Napi::String::New(i.Env(), DTypeName(Unwrap(i[0]).scalar_type())); });
  Def(env, exports, "device", [](const Info& i) { return Napi::String::New(i.Env(), Unwrap(i[0]).device().str()); });
  Def(env, exports, "numel", [](const Info& i) { return Napi::Number::New(i.Env(), static_cast<double>(Unwrap(i[0]).numel())); });
  Def(env, exports, "isContiguous", [](const Info& i) { return Napi::Boolean::New(i.Env(), Unwrap(i[0]).is_contiguous()); });
  Def(env, exports, "item", Item);

  // conversion
  Def(env, exports, "to", [](const Info& i) {
    auto& t = Unwrap(i[0]);
    auto dtype = IsAbsent(i[1]) ? t.scalar_type() : DType(i[1]);
    auto device = IsAbsent(i[2]) ? t.device() : DeviceOf(i[2]);
    return Wrap(i.Env(), t.to(device, dtype, IsAbsent(i[3]) ? false : Bool(i[3])));
  });
  Def(env, exports, "toChannelsLast", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).contiguous(at::MemoryFormat::ChannelsLast)); });
  Def(env, exports, "contiguous", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).contiguous()); });
  Def(env, exports, "clone", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).clone()); });
  Def(env, exports, "detach", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).detach()); });
  Def(env, exports, "setData", [](const Info& i) {
    Unwrap(i[0]).set_data(Unwrap(i[1]));
    return i.Env().Undefined();
  });

  // autograd
  Def(env, exports, "requiresGrad", [](const Info& i) { return Napi::Boolean::New(i.Env(), Unwrap(i[0]).requires_grad()); });
  Def(env, exports, "setRequiresGrad", [](const Info& i) {
    Unwrap(i[0]).set_requires_grad(Bool(i[1]));
    return i.Env().Undefined();
  });
  Def(env, exports, "isLeaf", [](const Info& i) { return Napi::Boolean::New(i.Env(), Unwrap(i[0]).is_leaf()); });
  Def(env, exports, "grad", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).grad()); });
  Def(env, exports, "setGrad", [](const Info& i) {
    Unwrap(i[0]).mutable_grad() = IsAbsent(i[1]) ? at::Tensor() : Unwrap(i[1]);
    return i.Env().Undefined();
  });
  Def(env, exports, "backward", [](const Info& i) {
    auto gradient = IsAbsent(i[1]) ? at::Tensor() : Unwrap(i[1]);
    Unwrap(i[0]).backward(gradient, IsAbsent(i[2]) ? false : Bool(i[2]), false);
    return i.Env().Undefined();
  });
  Def(env, exports, "setGradEnabled", [](const Info& i) {
    bool previous = at::GradMode::is_enabled();
    at::GradMode::set_enabled(Bool(i[0]));
    return Napi::Boolean::New(i.Env(), previous);
  });
  Def(env, exports, "autocastEnter", AutocastEnter);
  Def(env, exports, "autocastExit", AutocastExit);
  Def(env, exports, "isAutocastEnabled", [](const Info& i) { return Napi::Boolean::New(i.Env(), CudaAutocast().enabled); });
  Def(env, exports, "isGradEnabled", [](const Info& i) { return Napi::Boolean::New(i.Env(), at::GradMode::is_enabled()); });

  // runtime
  Def(env, exports, "dispose", [](const Info& i) {
    Dispose(i[0]);
    return i.Env().Undefined();
  });
  Def(env, exports, "liveCount", [](const Info& i) { return Napi::Number::New(i.Env(), static_cast<double>(LiveTensors())); });
  Def(env, exports, "memory", [](const Info& i) {
    auto out = Napi::Object::New(i.Env());
    for (const auto& [device, m] : MemoryByDevice()) {
      auto entry = Napi::Object::New(i.Env());
      entry.Set("tensors", Napi::Number::New(i.Env(), static_cast<double>(m.tensors)));
      entry.Set("bytes", Napi::Number::New(i.Env(), static_cast<double>(m.bytes)));
      out.Set(device, entry);
    }
    return out;
  });
  Def(env, exports, "manualSeed", [](const Info& i) {
    at::manual_seed(static_cast<uint64_t>(Int(i[0])));
    return i.Env().Undefined();
  });
  // The CPU generator's whole state (a uint8 tensor), so a resumed run draws what it would have.
  Def(env, exports, "cpuRngState", [](const Info& i) {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return Wrap(i.Env(), gen.get_state());
  });
  Def(env, exports, "setCpuRngState", [](const Info& i) {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(Unwrap(i[0]));
    return i.Env().Undefined();
  });
  Def(env, exports, "setNumThreads", [](const Info& i) {
    at::set_num_threads(static_cast<int>(Int(i[0])));
    return i.Env().Undefined();
  });
  Def(env, exports, "getNumThreads", [](const Info& i) { return Napi::Number::New(i.Env(), at::get_num_threads()); });
  Def(env, exports, "info", Info_);
  Def(env, exports, "cudaSynchronize", [](const Info& i) {
    if (torch::cuda::is_available()) torch::cuda::synchronize();
    return i.Env().Undefined();
  });
}

}  // namespace mf
