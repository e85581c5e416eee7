// Data-parallel communication through libtorch's c10d: a store (TCPStore, or FileStore for
// tests), one Gloo process group per process, and the collectives training needs, each
// waited on with the group's timeout so that a dead or hung peer ends in an error, not a hang.
// Compiled against c10d only where Gloo's headers were found (MF_C10D_GLOO); otherwise every
// function says in one line what to install.
#include "common.h"

#ifdef MF_C10D_GLOO
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>

namespace mf {

using Info = Napi::CallbackInfo;

#ifdef MF_C10D_GLOO

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
  int rank = 0;
  int size = 1;
  std::chrono::milliseconds timeout{0};
};

// One process group per process, as torch.distributed's default group.
Group* group = nullptr;

Group& Current(const Napi::Env& env) {
  if (group == nullptr) throw Napi::Error::New(env, "no process group: call distInit first");
  return *group;
}

void Wait(const Group& g, const c10::intrusive_ptr<c10d::Work>& work) { work->wait(g.timeout); }

// Sum across ranks whose gradient is the sum of the gradients across ranks (each rank's
// output is the same total, so each rank's input receives the total of the output grads).
struct AllreduceSum : public torch::autograd::Function<AllreduceSum> {
  static at::Tensor forward(torch::autograd::AutogradContext*, const at::Tensor& x) {
    std::vector<at::Tensor> buf{x.clone().contiguous()};
    Wait(*group, group->pg->allreduce(buf));
    return buf[0];
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list grads) {
    std::vector<at::Tensor> buf{grads[0].clone().contiguous()};
    Wait(*group, group->pg->allreduce(buf));
    return {buf[0]};
  }
};

}  // namespace

// distInit({rank, worldSize, host, port, isServer, file?, timeoutMs, interfaceName?, interfaceHost?}) -> undefined
// Rank 0 hosts the TCPStore unless `file` names a FileStore; `isServer` false lets an
// outside agent (torchrun's) host it.
static Napi::Value Init(const Info& i) {
  auto o = i[0].As<Napi::Object>();
  if (group != nullptr) throw Napi::Error::New(i.Env(), "a process group already exists in this process");
  int rank = static_cast<int>(Int(o.Get("rank")));
  int size = static_cast<int>(Int(o.Get("worldSize")));
  std::chrono::milliseconds timeout(Int(o.Get("timeoutMs")));
  c10::intrusive_ptr<c10d::Store> store;
  if (!IsAbsent(o.Get("file"))) {
    store = c10::make_intrusive<c10d::FileStore>(String(o.Get("file")), size);
    store->setTimeout(timeout);
  } else {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(Int(o.Get("port")));
    opts.isServer = Bool(o.Get("isServer"));
    opts.numWorkers = size;
    opts.waitWorkers = false;
    opts.timeout = timeout;
    store = c10::make_intrusive<c10d::TCPStore>(String(o.Get("host")), opts);
  }
  // A run's own prefix, so that a store shared with a launcher's agent holds nothing else's keys.
  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("modalfuse", store);
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  // Where Gloo listens: a named network interface, an address, or this machine's hostname.
  if (!IsAbsent(o.Get("interfaceName"))) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(String(o.Get("interfaceName"))));
  else if (!IsAbsent(o.Get("interfaceHost"))) options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(String(o.Get("interfaceHost"))));
  else options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  options->threads = 2;
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, size, options);
  group = new Group{store, pg, rank, size, timeout};
  return i.Env().Undefined();
}

static Napi::Value Destroy(const Info& i) {
  delete group;
  group = nullptr;
  return i.Env().Undefined();
}

// distAllreduce(tensors): sums each tensor across ranks, in place.
static Napi::Value Allreduce(const Info& i) {
  auto& g = Current(i.Env());
  at::NoGradGuard noGrad;
  auto tensors = TensorList(i[0]);
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    Wait(g, g.pg->allreduce(one));
  }
  return i.Env().Undefined();
}

// distBroadcast(tensors, root): every rank's tensors become root's, in place.
static Napi::Value Broadcast(const Info& i) {
  auto& g = Current(i.Env());
  at::NoGradGuard noGrad;
  auto tensors = TensorList(i[0]);
  c10d::BroadcastOptions opts;
  opts.rootRank = Int(i[1]);
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t};
    Wait(g, g.pg->broadcast(one, opts));
  }
  return i.Env().Undefined();
}

static Napi::Value Barrier(const Info& i) {
  auto& g = Current(i.Env());
  Wait(g, g.pg->barrier());
  return i.Env().Undefined();
}

// distAverageGradients(params, bucketBytes, extra?) -> undefined
// Each parameter's gradient becomes the mean across ranks. Gradients are copied into flat
// buckets of about bucketBytes (one dtype each), all buckets are sent before any is waited
// on, and the results are copied back. `extra`, a small float tensor, is summed (not
// averaged) with the last bucket: per-step flags ride along without a collective of their own.
static Napi::Value AverageGradients(const Info& i) {
  auto& g = Current(i.Env());
  at::NoGradGuard noGrad;
  auto params = TensorList(i[0]);
  int64_t bucketBytes = Int(i[1]);
  auto extra = OptTensor(i[2]);
  std::vector<at::Tensor> grads;
  // Which parameters had a gradient on this rank. One without joins with zeros (every rank
  // must send the same buckets); where no rank had one, it is left without, as in one process.
  auto used = at::zeros({static_cast<int64_t>(params.size())}, at::kFloat);
  for (size_t k = 0; k < params.size(); k++) {
    auto& grad = params[k].mutable_grad();
    if (grad.defined()) used[k] = 1;
    else grad = at::zeros_like(params[k]);
    grads.push_back(grad);
  }
  auto flags = extra.has_value() ? at::cat({used, extra->to(at::kFloat).reshape({-1})}) : used;
  struct Bucket {
    std::vector<size_t> members;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  int64_t bytes = 0;
  for (size_t k = 0; k < grads.size(); k++) {
    auto& grad = grads[k];
    bool fresh = buckets.empty() || bytes >= bucketBytes || grads[buckets.back().members.front()].scalar_type() != grad.scalar_type();
    if (fresh) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().members.push_back(k);
    bytes += grad.numel() * grad.element_size();
  }
  for (size_t b = 0; b < buckets.size(); b++) {
    auto& bucket = buckets[b];
    std::vector<at::Tensor> parts;
    for (auto k : bucket.members) parts.push_back(grads[k].reshape({-1}));
    bool last = b + 1 == buckets.size();
    if (last) parts.push_back(flags.to(grads[bucket.members.front()].scalar_type()));
    bucket.flat = at::cat(parts);
    std::vector<at::Tensor> one{bucket.flat};
    bucket.work = g.pg->allreduce(one);
  }
  for (auto& bucket : buckets) {
    Wait(g, bucket.work);
    int64_t offset = 0;
    for (auto k : bucket.members) {
      auto& grad = grads[k];
      grad.copy_(bucket.flat.narrow(0, offset, grad.numel()).view_as(grad)).div_(g.size);
      offset += grad.numel();
    }
    if (&bucket == &buckets.back()) flags.copy_(bucket.flat.narrow(0, offset, flags.numel()));
  }
  if (buckets.empty()) {
    std::vector<at::Tensor> one{flags};
    Wait(g, g.pg->allreduce(one));
  }
  auto usedAnywhere = flags.accessor<float, 1>();
  for (size_t k = 0; k < params.size(); k++)
    if (usedAnywhere[k] == 0) params[k].mutable_grad() = at::Tensor();
  if (extra.has_value()) extra->copy_(flags.narrow(0, used.numel(), extra->numel()).view_as(*extra));
  return i.Env().Undefined();
}

// distAllreduceSum(x) -> the sum of x across ranks, differentiable (synchronised batch norm).
static Napi::Value AllreduceDifferentiable(const Info& i) {
  Current(i.Env());
  return Wrap(i.Env(), AllreduceSum::apply(Unwrap(i[0])));
}

static Napi::Value Available(const Info& i) { return Napi::Boolean::New(i.Env(), true); }

#else

static Napi::Value Unavailable(const Info& i) {
  throw Napi::Error::New(i.Env(), "modalfuse's engine was built without Gloo (c10d): install libgloo-dev (apt-get install libgloo-dev) and rebuild");
}
static Napi::Value Available(const Info& i) { return Napi::Boolean::New(i.Env(), false); }

#endif

void InitDistributed(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "distAvailable", Available);
#ifdef MF_C10D_GLOO
  Def(env, exports, "distInit", Init);
  Def(env, exports, "distDestroy", Destroy);
  Def(env, exports, "distAllreduce", Allreduce);
  Def(env, exports, "distBroadcast", Broadcast);
  Def(env, exports, "distBarrier", Barrier);
  Def(env, exports, "distAverageGradients", AverageGradients);
  Def(env, exports, "distAllreduceSum", AllreduceDifferentiable);
#else
  for (auto name : {"distInit", "distDestroy", "distAllreduce", "distBroadcast", "distBarrier", "distAverageGradients", "distAllreduceSum"}) Def(env, exports, name, Unavailable);
#endif
}

}  // namespace mf
