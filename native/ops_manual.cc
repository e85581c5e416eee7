// The ops that are not one ATen call with converted arguments, so are not in the op table
// (scripts/ops/table.mjs): each picks between ATen calls by its arguments. Everything else
// outside the table is engine plumbing: the slot table and creation (tensor.cc, common.cc),
// the fused optimizer steps (optim.cc), mapped files and memory (mapped.cc), c10d
// (distributed.cc).
#include "op_args.h"

namespace mf {

using Info = Napi::CallbackInfo;

void InitManualOps(Napi::Env env, Napi::Object exports) {
  // where(cond, a, aIsScalar, b, bIsScalar): four ATen overloads, by which operands are numbers.
  Def(env, exports, "where", [](const Info& i) {
    auto& cond = Unwrap(i[0]);
    bool aScalar = Bool(i[2]), bScalar = Bool(i[4]);
    if (aScalar && bScalar) return Wrap(i.Env(), at::where(cond, ScalarOf(i[1]), ScalarOf(i[3])));
    if (aScalar) return Wrap(i.Env(), at::where(cond, ScalarOf(i[1]), Unwrap(i[3])));
    if (bScalar) return Wrap(i.Env(), at::where(cond, Unwrap(i[1]), ScalarOf(i[3])));
    return Wrap(i.Env(), at::where(cond, Unwrap(i[1]), Unwrap(i[3])));
  });
  // norm(x, p, dims?, keepdim): ATen's norm takes no optional dims; absent dims is its overall form.
  Def(env, exports, "norm", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    auto p = ScalarOf(i[1]);
    bool keepdim = IsAbsent(i[3]) ? false : Bool(i[3]);
    return Wrap(i.Env(), IsAbsent(i[2]) ? at::norm(x, p) : at::norm(x, p, IntList(i[2]), keepdim));
  });
  // squeeze(x, dim?): every size-1 dim, or one.
  Def(env, exports, "squeeze", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    return Wrap(i.Env(), IsAbsent(i[1]) ? at::squeeze(x) : at::squeeze(x, Int(i[1])));
  });
  // interpolate(x, size, mode, alignCorners?): a different ATen function per mode.
  Def(env, exports, "interpolate", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    auto size = IntList(i[1]);
    auto mode = String(i[2]);
    if (mode == "bilinear") return Wrap(i.Env(), at::upsample_bilinear2d(x, size, IsAbsent(i[3]) ? false : Bool(i[3])));
    if (mode == "nearest") return Wrap(i.Env(), at::upsample_nearest2d(x, size));
    throw Napi::TypeError::New(i.Env(), "unknown interpolation mode: " + mode);
  });
}

}  // namespace mf
