// Shared plumbing of the addon: how a libtorch tensor travels to JavaScript and back,
// how JavaScript arguments become libtorch arguments, and how libtorch errors become
// JavaScript errors. No model logic lives in native/.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <map>
#include <string>
#include <vector>

namespace mf {

// Tensors handed to JavaScript live in a slot table; JavaScript holds the slot's index,
// a plain number. No JavaScript object is tied to a native finalizer, so nothing waits on
// the garbage collector: `dispose` frees a slot at once and the next tensor reuses it.
// (Finalizers of external objects run only when the event loop turns, so a synchronous
// training loop would pile them up.)
int64_t LiveTensors();
// The tensors this thread holds handles to, and the bytes of their storages, per device.
struct LiveMemory {
  int64_t tensors = 0;
  int64_t bytes = 0;
};
std::map<std::string, LiveMemory> MemoryByDevice();
Napi::Value Wrap(Napi::Env env, at::Tensor tensor);
at::Tensor& Unwrap(const Napi::Value& value);
void Dispose(const Napi::Value& value);

// Argument conversion. Each throws a TypeError naming what it expected.
int64_t Int(const Napi::Value& v);
double Double(const Napi::Value& v);
bool Bool(const Napi::Value& v);
std::string String(const Napi::Value& v);
std::vector<int64_t> IntList(const Napi::Value& v);
std::vector<at::Tensor> TensorList(const Napi::Value& v);
c10::optional<at::Tensor> OptTensor(const Napi::Value& v);
at::Scalar ScalarOf(const Napi::Value& v);
bool IsAbsent(const Napi::Value& v);
at::ScalarType DType(const Napi::Value& v);
const char* DTypeName(at::ScalarType t);
at::Device DeviceOf(const Napi::Value& v);
at::TensorOptions Options(const Napi::Value& dtype, const Napi::Value& device);
Napi::Array WrapList(Napi::Env env, const std::vector<at::Tensor>& tensors);

// Registers a function whose libtorch errors become JavaScript errors carrying
// libtorch's message (without its C++ backtrace) instead of aborting the process.
template <typename F>
void Def(Napi::Env env, Napi::Object exports, const char* name, F fn) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [fn](const Napi::CallbackInfo& info) -> Napi::Value {
                          try {
                            return fn(info);
                          } catch (const Napi::Error&) {
                            throw;
                          } catch (const c10::Error& e) {
                            throw Napi::Error::New(info.Env(), e.what_without_backtrace());
                          } catch (const std::exception& e) {
                            throw Napi::Error::New(info.Env(), e.what());
                          }
                        },
                        name));
}

void InitTensor(Napi::Env env, Napi::Object exports);
// The op table's registrations (ops.generated.cc) and the ops outside it (ops_manual.cc).
void InitOps(Napi::Env env, Napi::Object exports);
void InitManualOps(Napi::Env env, Napi::Object exports);
void InitOptim(Napi::Env env, Napi::Object exports);
void InitMapped(Napi::Env env, Napi::Object exports);
void InitDistributed(Napi::Env env, Napi::Object exports);

}  // namespace mf
