#include "common.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  mf::InitTensor(env, exports);
  mf::InitOps(env, exports);
  mf::InitManualOps(env, exports);
  mf::InitOptim(env, exports);
  mf::InitMapped(env, exports);
  mf::InitDistributed(env, exports);
  return exports;
}

NODE_API_MODULE(modalfuse_native, Init)
