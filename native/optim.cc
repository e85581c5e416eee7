// Optimizer updates, done in place over a whole parameter list in one call so that a
// step creates no tensors on the JavaScript side. The arithmetic follows PyTorch's
// single-tensor SGD, Adam and AdamW exactly, so both give the same numbers.
#include <cmath>

#include "common.h"

namespace mf {

using Info = Napi::CallbackInfo;

// sgdStep(params, momentumBuffers, firstStep, lr, momentum, dampening, weightDecay, nesterov)
static Napi::Value SgdStep(const Info& i) {
  at::NoGradGuard noGrad;
  auto params = TensorList(i[0]);
  auto buffers = TensorList(i[1]);
  bool first = Bool(i[2]);
  double lr = Double(i[3]), momentum = Double(i[4]), dampening = Double(i[5]), weightDecay = Double(i[6]);
  bool nesterov = Bool(i[7]);
  for (size_t k = 0; k < params.size(); k++) {
    auto& p = params[k];
    auto grad = p.grad();
    if (!grad.defined()) continue;
    if (weightDecay != 0) grad = grad.add(p, weightDecay);
    if (momentum != 0) {
      auto& buf = buffers.at(k);
      if (first) buf.copy_(grad);
      else buf.mul_(momentum).add_(grad, 1 - dampening);
      grad = nesterov ? grad.add(buf, momentum) : buf;
    }
    p.add_(grad, -lr);
  }
  return i.Env().Undefined();
}

// adamStep(params, expAvg, expAvgSq, step, lr, beta1, beta2, eps, weightDecay, decoupled)
// `decoupled` gives AdamW (weight decay applied to the weights, not the gradient).
static Napi::Value AdamStep(const Info& i) {
  at::NoGradGuard noGrad;
  auto params = TensorList(i[0]);
  auto expAvg = TensorList(i[1]);
  auto expAvgSq = TensorList(i[2]);
  double step = Double(i[3]), lr = Double(i[4]), beta1 = Double(i[5]), beta2 = Double(i[6]), eps = Double(i[7]), weightDecay = Double(i[8]);
  bool decoupled = Bool(i[9]);
  double biasCorrection1 = 1 - std::pow(beta1, step);
  double biasCorrection2Sqrt = std::sqrt(1 - std::pow(beta2, step));
  double stepSize = lr / biasCorrection1;
  for (size_t k = 0; k < params.size(); k++) {
    auto& p = params[k];
    auto grad = p.grad();
    if (!grad.defined()) continue;
    if (weightDecay != 0) {
      if (decoupled) p.mul_(1 - lr * weightDecay);
      else grad = grad.add(p, weightDecay);
    }
    auto& m = expAvg.at(k);
    auto& v = expAvgSq.at(k);
    m.mul_(beta1).add_(grad, 1 - beta1);
    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    auto denom = (v.sqrt() / biasCorrection2Sqrt).add_(eps);
    p.addcdiv_(m, denom, -stepSize);
  }
  return i.Env().Undefined();
}

// clipGradNorm(params, maxNorm) -> total 2-norm of the gradients before clipping
static Napi::Value ClipGradNorm(const Info& i) {
  at::NoGradGuard noGrad;
  auto params = TensorList(i[0]);
  double maxNorm = Double(i[1]);
  std::vector<at::Tensor> norms;
  for (auto& p : params)
    if (p.grad().defined()) norms.push_back(at::norm(p.grad(), 2));
  if (norms.empty()) return Napi::Number::New(i.Env(), 0);
  double total = at::norm(at::stack(norms), 2).item<double>();
  double coef = maxNorm / (total + 1e-6);
  if (coef < 1)
    for (auto& p : params)
      if (p.grad().defined()) p.grad().mul_(coef);
  return Napi::Number::New(i.Env(), total);
}

// zeroGrad(params, setToNone)
static Napi::Value ZeroGrad(const Info& i) {
  auto params = TensorList(i[0]);
  bool setToNone = Bool(i[1]);
  for (auto& p : params) {
    auto& grad = p.mutable_grad();
    if (!grad.defined()) continue;
    if (setToNone) {
      grad = at::Tensor();
    } else {
      if (grad.grad_fn()) grad = grad.detach();
      else grad.requires_grad_(false);
      grad.zero_();
    }
  }
  return i.Env().Undefined();
}

void InitOptim(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "sgdStep", SgdStep);
  Def(env, exports, "adamStep", AdamStep);
  Def(env, exports, "clipGradNorm", ClipGradNorm);
  Def(env, exports, "zeroGrad", ZeroGrad);
}

}  // namespace mf
