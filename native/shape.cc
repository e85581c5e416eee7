// Shape and indexing: views, joins, slices, gathers.
#include "common.h"

namespace mf {

using Info = Napi::CallbackInfo;

static c10::optional<int64_t> OptInt(const Napi::Value& v) {
  if (IsAbsent(v)) return c10::nullopt;
  return Int(v);
}

void InitShape(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "reshape", [](const Info& i) { return Wrap(i.Env(), at::reshape(Unwrap(i[0]), IntList(i[1]))); });
  Def(env, exports, "view", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).view(IntList(i[1]))); });
  Def(env, exports, "permute", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).permute(IntList(i[1]))); });
  Def(env, exports, "transpose", [](const Info& i) { return Wrap(i.Env(), at::transpose(Unwrap(i[0]), Int(i[1]), Int(i[2]))); });
  Def(env, exports, "flatten", [](const Info& i) { return Wrap(i.Env(), at::flatten(Unwrap(i[0]), Int(i[1]), Int(i[2]))); });
  Def(env, exports, "unsqueeze", [](const Info& i) { return Wrap(i.Env(), at::unsqueeze(Unwrap(i[0]), Int(i[1]))); });
  Def(env, exports, "squeeze", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    return Wrap(i.Env(), IsAbsent(i[1]) ? at::squeeze(x) : at::squeeze(x, Int(i[1])));
  });
  Def(env, exports, "expand", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).expand(IntList(i[1]))); });
  Def(env, exports, "repeat", [](const Info& i) { return Wrap(i.Env(), Unwrap(i[0]).repeat(IntList(i[1]))); });
  Def(env, exports, "flip", [](const Info& i) { return Wrap(i.Env(), at::flip(Unwrap(i[0]), IntList(i[1]))); });
  Def(env, exports, "cat", [](const Info& i) { return Wrap(i.Env(), at::cat(TensorList(i[0]), Int(i[1]))); });
  Def(env, exports, "stack", [](const Info& i) { return Wrap(i.Env(), at::stack(TensorList(i[0]), Int(i[1]))); });
  Def(env, exports, "chunk", [](const Info& i) { return WrapList(i.Env(), at::chunk(Unwrap(i[0]), Int(i[1]), Int(i[2]))); });
  Def(env, exports, "split", [](const Info& i) { return WrapList(i.Env(), at::split(Unwrap(i[0]), Int(i[1]), Int(i[2]))); });
  Def(env, exports, "unbind", [](const Info& i) { return WrapList(i.Env(), at::unbind(Unwrap(i[0]), Int(i[1]))); });
  Def(env, exports, "slice", [](const Info& i) {
    int64_t step = IsAbsent(i[4]) ? 1 : Int(i[4]);
    return Wrap(i.Env(), at::slice(Unwrap(i[0]), Int(i[1]), OptInt(i[2]), OptInt(i[3]), step));
  });
  Def(env, exports, "narrow", [](const Info& i) { return Wrap(i.Env(), at::narrow(Unwrap(i[0]), Int(i[1]), Int(i[2]), Int(i[3]))); });
  Def(env, exports, "select", [](const Info& i) { return Wrap(i.Env(), at::select(Unwrap(i[0]), Int(i[1]), Int(i[2]))); });
  Def(env, exports, "indexSelect", [](const Info& i) { return Wrap(i.Env(), at::index_select(Unwrap(i[0]), Int(i[1]), Unwrap(i[2]))); });
  Def(env, exports, "gather", [](const Info& i) { return Wrap(i.Env(), at::gather(Unwrap(i[0]), Int(i[1]), Unwrap(i[2]))); });
  Def(env, exports, "scatter", [](const Info& i) { return Wrap(i.Env(), at::scatter(Unwrap(i[0]), Int(i[1]), Unwrap(i[2]), Unwrap(i[3]))); });
  Def(env, exports, "oneHot", [](const Info& i) { return Wrap(i.Env(), at::one_hot(Unwrap(i[0]), Int(i[1]))); });
  Def(env, exports, "tril", [](const Info& i) { return Wrap(i.Env(), at::tril(Unwrap(i[0]), IsAbsent(i[1]) ? 0 : Int(i[1]))); });
  Def(env, exports, "pad", [](const Info& i) {
    auto mode = IsAbsent(i[2]) ? std::string("constant") : String(i[2]);
    auto value = IsAbsent(i[3]) ? c10::optional<double>() : c10::optional<double>(Double(i[3]));
    return Wrap(i.Env(), at::pad(Unwrap(i[0]), IntList(i[1]), mode, value));
  });
}

}  // namespace mf
