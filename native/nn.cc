// Neural-network functions: convolution, pooling, normalisation, dropout, embedding,
// losses, resizing and the short-time Fourier transform.
#include "common.h"

namespace mf {

using Info = Napi::CallbackInfo;

static int64_t Reduction(const Napi::Value& v) {
  if (IsAbsent(v)) return at::Reduction::Mean;
  auto name = String(v);
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw Napi::TypeError::New(v.Env(), "unknown reduction: " + name);
}

void InitNN(Napi::Env env, Napi::Object exports) {
  // conv(x, weight, bias?, stride, padding, dilation, groups)
  Def(env, exports, "conv1d", [](const Info& i) {
    return Wrap(i.Env(), at::conv1d(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]), IntList(i[3]), IntList(i[4]), IntList(i[5]), Int(i[6])));
  });
  Def(env, exports, "conv2d", [](const Info& i) {
    return Wrap(i.Env(), at::conv2d(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]), IntList(i[3]), IntList(i[4]), IntList(i[5]), Int(i[6])));
  });
  // pool(x, kernel, stride, padding, [dilation,] ceilMode)
  Def(env, exports, "maxPool1d", [](const Info& i) {
    return Wrap(i.Env(), at::max_pool1d(Unwrap(i[0]), IntList(i[1]), IntList(i[2]), IntList(i[3]), IntList(i[4]), Bool(i[5])));
  });
  Def(env, exports, "maxPool2d", [](const Info& i) {
    return Wrap(i.Env(), at::max_pool2d(Unwrap(i[0]), IntList(i[1]), IntList(i[2]), IntList(i[3]), IntList(i[4]), Bool(i[5])));
  });
  Def(env, exports, "avgPool1d", [](const Info& i) {
    return Wrap(i.Env(), at::avg_pool1d(Unwrap(i[0]), IntList(i[1]), IntList(i[2]), IntList(i[3]), Bool(i[4])));
  });
  Def(env, exports, "avgPool2d", [](const Info& i) {
    return Wrap(i.Env(), at::avg_pool2d(Unwrap(i[0]), IntList(i[1]), IntList(i[2]), IntList(i[3]), Bool(i[4])));
  });
  Def(env, exports, "adaptiveAvgPool1d", [](const Info& i) { return Wrap(i.Env(), at::adaptive_avg_pool1d(Unwrap(i[0]), IntList(i[1]))); });
  Def(env, exports, "adaptiveAvgPool2d", [](const Info& i) { return Wrap(i.Env(), at::adaptive_avg_pool2d(Unwrap(i[0]), IntList(i[1]))); });
  Def(env, exports, "adaptiveMaxPool2d", [](const Info& i) { return Wrap(i.Env(), std::get<0>(at::adaptive_max_pool2d(Unwrap(i[0]), IntList(i[1])))); });

  // batchNorm(x, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
  Def(env, exports, "batchNorm", [](const Info& i) {
    return Wrap(i.Env(), at::batch_norm(Unwrap(i[0]), OptTensor(i[1]), OptTensor(i[2]), OptTensor(i[3]), OptTensor(i[4]), Bool(i[5]), Double(i[6]), Double(i[7]), true));
  });
  // layerNorm(x, normalizedShape, weight?, bias?, eps)
  Def(env, exports, "layerNorm", [](const Info& i) {
    return Wrap(i.Env(), at::layer_norm(Unwrap(i[0]), IntList(i[1]), OptTensor(i[2]), OptTensor(i[3]), Double(i[4]), true));
  });
  Def(env, exports, "groupNorm", [](const Info& i) {
    return Wrap(i.Env(), at::group_norm(Unwrap(i[0]), Int(i[1]), OptTensor(i[2]), OptTensor(i[3]), Double(i[4]), true));
  });
  Def(env, exports, "dropout", [](const Info& i) { return Wrap(i.Env(), at::dropout(Unwrap(i[0]), Double(i[1]), Bool(i[2]))); });
  Def(env, exports, "featureDropout", [](const Info& i) { return Wrap(i.Env(), at::feature_dropout(Unwrap(i[0]), Double(i[1]), Bool(i[2]))); });
  Def(env, exports, "embedding", [](const Info& i) {
    return Wrap(i.Env(), at::embedding(Unwrap(i[0]), Unwrap(i[1]), IsAbsent(i[2]) ? -1 : Int(i[2])));
  });

  // losses
  // crossEntropy(logits, target, weight?, reduction, ignoreIndex, labelSmoothing)
  Def(env, exports, "crossEntropy", [](const Info& i) {
    return Wrap(i.Env(), at::cross_entropy_loss(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]), Reduction(i[3]), IsAbsent(i[4]) ? -100 : Int(i[4]),
                                                IsAbsent(i[5]) ? 0.0 : Double(i[5])));
  });
  Def(env, exports, "nllLoss", [](const Info& i) {
    return Wrap(i.Env(), at::nll_loss(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]), Reduction(i[3]), IsAbsent(i[4]) ? -100 : Int(i[4])));
  });
  Def(env, exports, "mseLoss", [](const Info& i) { return Wrap(i.Env(), at::mse_loss(Unwrap(i[0]), Unwrap(i[1]), Reduction(i[2]))); });
  Def(env, exports, "bceWithLogits", [](const Info& i) {
    return Wrap(i.Env(), at::binary_cross_entropy_with_logits(Unwrap(i[0]), Unwrap(i[1]), OptTensor(i[2]), OptTensor(i[3]), Reduction(i[4])));
  });

  // resizing: interpolate(x, size, mode, alignCorners)
  Def(env, exports, "interpolate", [](const Info& i) {
    auto& x = Unwrap(i[0]);
    auto size = IntList(i[1]);
    auto mode = String(i[2]);
    if (mode == "bilinear") return Wrap(i.Env(), at::upsample_bilinear2d(x, size, IsAbsent(i[3]) ? false : Bool(i[3])));
    if (mode == "nearest") return Wrap(i.Env(), at::upsample_nearest2d(x, size));
    throw Napi::TypeError::New(i.Env(), "unknown interpolation mode: " + mode);
  });

  // stft(x, nFft, hop, winLength, window?, center, padMode, normalized, onesided) -> complex
  Def(env, exports, "stft", [](const Info& i) {
    auto padMode = String(i[6]);
    return Wrap(i.Env(), at::stft(Unwrap(i[0]), Int(i[1]), Int(i[2]), Int(i[3]), OptTensor(i[4]), Bool(i[5]), padMode, Bool(i[7]), Bool(i[8]), true));
  });
}

}  // namespace mf
