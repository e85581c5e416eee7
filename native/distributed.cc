// Data-parallel communication through libtorch's c10d: a store (TCPStore, or FileStore for
// tests), one Gloo process group per process, and the collectives training needs, each
// waited on with the group's timeout so that a dead or hung peer ends in an error, not a hang.
// Compiled against c10d only where Gloo's headers were found (MF_C10D_GLOO); otherwise every
// function says in one line what to install.
#include "common.h"

#ifdef MF_C10D_GLOO
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>
#include <mutex>

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

static void DropReducer();

static Napi::Value Destroy(const Info& i) {
  DropReducer();
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

// Gradient averaging, as DDP's reducer does it: parameters in flat buckets of about
// bucketBytes (one dtype each, in reverse order, since backward reaches the last layers
// first); a hook on each parameter's gradient accumulator marks it ready, and a bucket whose
// parameters are all ready is sent while backward goes on. Buckets are sent in order, so
// every rank sends the same sequence. The last bucket waits for distAverageGradients, which
// sends it with the per-step flags and waits for all of them.
struct Reducer {
  struct Bucket {
    std::vector<size_t> members;
    size_t waiting = 0;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<at::Tensor> params;
  std::vector<Bucket> buckets;
  std::vector<size_t> bucketOf;
  std::vector<bool> ready;
  size_t nextToSend = 0;
  bool armed = false;
  // Held, as DDP holds them: a parameter's accumulator lives only while something refers to
  // it, and a new one (without the hook) would replace it.
  std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, uintptr_t>> hooks;
  std::mutex mutex;

  ~Reducer() {
    for (auto& [node, key] : hooks) node->del_post_hook(key);
  }

  void Send(size_t b, const Group& g) {
    auto& bucket = buckets[b];
    std::vector<at::Tensor> parts;
    for (auto k : bucket.members) parts.push_back(params[k].mutable_grad().reshape({-1}));
    bucket.flat = at::cat(parts);
    std::vector<at::Tensor> one{bucket.flat};
    bucket.work = g.pg->allreduce(one);
  }

  // Called from backward as parameter k's gradient is accumulated.
  void Ready(size_t k) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || ready[k] || group == nullptr) return;
    ready[k] = true;
    buckets[bucketOf[k]].waiting--;
    while (nextToSend + 1 < buckets.size() && buckets[nextToSend].waiting == 0) Send(nextToSend++, *group);
  }
};

Reducer* reducer = nullptr;

static void DropReducer() {
  delete reducer;
  reducer = nullptr;
}

// distReducerAttach(params, bucketBytes): the parameters whose gradients training averages.
static Napi::Value ReducerAttach(const Info& i) {
  Current(i.Env());
  delete reducer;
  reducer = new Reducer();
  auto& r = *reducer;
  r.params = TensorList(i[0]);
  int64_t bucketBytes = Int(i[1]);
  r.bucketOf.assign(r.params.size(), 0);
  int64_t bytes = 0;
  for (size_t n = r.params.size(); n-- > 0;) {
    auto& p = r.params[n];
    bool fresh = r.buckets.empty() || bytes >= bucketBytes || r.params[r.buckets.back().members.front()].scalar_type() != p.scalar_type();
    if (fresh) {
      r.buckets.emplace_back();
      bytes = 0;
    }
    r.buckets.back().members.push_back(n);
    r.bucketOf[n] = r.buckets.size() - 1;
    bytes += p.numel() * p.element_size();
  }
  for (size_t k = 0; k < r.params.size(); k++) {
    if (!r.params[k].requires_grad()) continue;  // frozen: joins with zeros when the step ends
    auto accumulator = torch::autograd::impl::grad_accumulator(r.params[k]);
    if (!accumulator) continue;
    auto key = accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          if (reducer != nullptr) reducer->Ready(k);
          return outputs;
        }));
    r.hooks.emplace_back(accumulator, key);
  }
  return i.Env().Undefined();
}

// distReducerArm(): the next backward is a training step's; its gradients are sent as they come.
static Napi::Value ReducerArm(const Info& i) {
  if (reducer == nullptr) throw Napi::Error::New(i.Env(), "no reducer: call distReducerAttach first");
  std::lock_guard<std::mutex> lock(reducer->mutex);
  auto& r = *reducer;
  r.armed = true;
  r.nextToSend = 0;
  r.ready.assign(r.params.size(), false);
  for (auto& b : r.buckets) {
    b.waiting = b.members.size();
    b.work.reset();
    b.flat = at::Tensor();
  }
  return i.Env().Undefined();
}

// distAverageGradients(extra?) -> undefined
// Ends the step's averaging: buckets not yet sent go now (a parameter without a gradient on
// this rank joins with zeros; where no rank had one, it is left without, as in one process),
// then each gradient becomes the mean across ranks. `extra`, a small float tensor, is summed
// (not averaged) with the last bucket: per-step flags ride along without a collective of their own.
static Napi::Value AverageGradients(const Info& i) {
  auto& g = Current(i.Env());
  if (reducer == nullptr) throw Napi::Error::New(i.Env(), "no reducer: call distReducerAttach first");
  at::NoGradGuard noGrad;
  auto extra = OptTensor(i[0]);
  auto& r = *reducer;
  std::lock_guard<std::mutex> lock(r.mutex);
  r.armed = false;
  auto used = at::zeros({static_cast<int64_t>(r.params.size())}, at::kFloat);
  auto usedLocal = used.accessor<float, 1>();
  for (size_t k = 0; k < r.params.size(); k++) {
    auto& grad = r.params[k].mutable_grad();
    if (grad.defined()) usedLocal[k] = 1;
    else if (r.bucketOf[k] >= r.nextToSend) grad = at::zeros_like(r.params[k]);
  }
  auto flags = extra.has_value() ? at::cat({used, extra->to(at::kFloat).reshape({-1})}) : used;
  for (size_t b = r.nextToSend; b < r.buckets.size(); b++) {
    bool last = b + 1 == r.buckets.size();
    if (!last) {
      r.Send(b, g);
      continue;
    }
    auto& bucket = r.buckets[b];
    std::vector<at::Tensor> parts;
    for (auto k : bucket.members) parts.push_back(r.params[k].mutable_grad().reshape({-1}));
    parts.push_back(flags.to(r.params[bucket.members.front()].scalar_type()));
    bucket.flat = at::cat(parts);
    std::vector<at::Tensor> one{bucket.flat};
    bucket.work = g.pg->allreduce(one);
  }
  r.nextToSend = r.buckets.size();
  for (size_t b = 0; b < r.buckets.size(); b++) {
    auto& bucket = r.buckets[b];
    Wait(g, bucket.work);
    int64_t offset = 0;
    for (auto k : bucket.members) {
      auto& grad = r.params[k].mutable_grad();
      grad.copy_(bucket.flat.narrow(0, offset, grad.numel()).view_as(grad)).div_(g.size);
      offset += grad.numel();
    }
    if (b + 1 == r.buckets.size()) flags.copy_(bucket.flat.narrow(0, offset, flags.numel()));
  }
  if (r.buckets.empty()) {
    std::vector<at::Tensor> one{flags};
    Wait(g, g.pg->allreduce(one));
  }
  auto usedAnywhere = flags.accessor<float, 1>();
  for (size_t k = 0; k < r.params.size(); k++)
    if (usedAnywhere[k] == 0) r.params[k].mutable_grad() = at::Tensor();
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
  Def(env, exports, "distReducerAttach", ReducerAttach);
  Def(env, exports, "distReducerArm", ReducerArm);
  Def(env, exports, "distAverageGradients", AverageGradients);
  Def(env, exports, "distAllreduceSum", AllreduceDifferentiable);
#else
  for (auto name : {"distInit", "distDestroy", "distAllreduce", "distBroadcast", "distBarrier", "distReducerAttach", "distReducerArm", "distAverageGradients", "distAllreduceSum"}) Def(env, exports, name, Unavailable);
#endif
}

}  // namespace mf
