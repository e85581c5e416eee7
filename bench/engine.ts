// Engine benchmark: the tutorial's model trained on random in-memory data, in modalfuse
// and in Python PyTorch on the same libtorch, in the same run, at batch 32 and 256;
// resnet18 (modalfuse's against torchvision's) at 64x64, batch 32; then modalfuse's
// resident memory after 100 and after 2,000 steps.
//
//   npm run bench:engine -- [--json FILE] [--quick] [--rounds N] [--threads N] [--device cpu|cuda]
//                           [--steps32 N] [--steps256 N] [--rss-steps N] [--python PATH]
//
// Each measurement runs in a fresh process (this file again, with --worker), so neither
// side inherits the other's warm allocator. Rounds alternate PyTorch and modalfuse and
// the median of each is reported.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(HERE, "..", "..", "bench");

const { values: args } = parseArgs({
  options: {
    worker: { type: "string" },
    batch: { type: "string", default: "32" },
    steps: { type: "string", default: "50" },
    warmup: { type: "string", default: "5" },
    steps32: { type: "string", default: "80" },
    steps256: { type: "string", default: "16" },
    "steps-resnet": { type: "string", default: "10" },
    "rss-steps": { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    threads: { type: "string", default: String(availableParallelism()) },
    device: { type: "string", default: "cpu" },
    python: { type: "string" },
    json: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});

const int = (name: keyof typeof args): number => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a whole number, got ${String(args[name])}`);
  return v;
};

function rssMb(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN);
  return kb / 1024;
}

type Torch = typeof import("../src/torch/index.js");

/** A model and the loss of its forward pass on the i-th of a few random in-memory batches. */
interface Workload {
  parameters: () => import("../src/torch/index.js").Tensor[];
  loss: (i: number) => import("../src/torch/index.js").Tensor;
}

/** The tutorial's fused model (kinds "train" and "rss"). */
async function tutorialWorkload(torch: Torch, device: string, batch: number): Promise<Workload> {
  const { TutorialModel, TUTORIAL_SHAPE: s } = await import("./tutorial-model.js");
  const model = new TutorialModel().to(device);
  const pool = 4;
  const data = Array.from({ length: pool }, () => ({
    tabular: torch.keep(torch.randn([batch, s.tabular], { device })),
    image: torch.keep(torch.randn([batch, ...s.image], { device })),
    audio: torch.keep(torch.randn([batch, ...s.audio], { device })),
    label: torch.keep(torch.randint(0, s.classes, [batch], { device })),
  }));
  model.train();
  return {
    parameters: () => model.parameters(),
    loss: (i) => {
      const d = data[i % pool] as (typeof data)[number];
      return torch.F.crossEntropy(model.forward(d.tabular, d.image, d.audio), d.label);
    },
  };
}

/** resnet18 on random 64x64 images (kind "resnet"). */
async function resnetWorkload(torch: Torch, device: string, batch: number): Promise<Workload> {
  const { ResNet18 } = await import("../src/model/backbones/index.js");
  const model = new ResNet18({ numClasses: 10 }).to(device);
  const data = Array.from({ length: 2 }, () => ({ image: torch.keep(torch.randn([batch, 3, 64, 64], { device })), label: torch.keep(torch.randint(0, 10, [batch], { device })) }));
  model.train();
  return {
    parameters: () => model.parameters(),
    loss: (i) => {
      const d = data[i % 2] as (typeof data)[number];
      return torch.F.crossEntropy(model.forward(d.image), d.label);
    },
  };
}

async function worker(kind: string): Promise<void> {
  process.env.MODALFUSE_THREADS = args.threads;
  const torch = await import("../src/torch/index.js");
  torch.setNumThreads(int("threads"));
  torch.manualSeed(0);
  const device = args.device ?? "cpu";
  const batch = int("batch");
  const work = await (kind === "resnet" ? resnetWorkload : tutorialWorkload)(torch, device, batch);
  const optimizer = new torch.optim.Adam(work.parameters(), { lr: 1e-3 });
  const step = (i: number): number =>
    torch.tidy(() => {
      optimizer.zeroGrad();
      const loss = work.loss(i);
      loss.backward();
      optimizer.step();
      return loss.item();
    });

  if (kind === "train" || kind === "resnet") {
    for (let i = 0; i < int("warmup"); i++) step(i);
    torch.synchronize();
    const start = performance.now();
    const steps = int("steps");
    for (let i = 0; i < steps; i++) step(i);
    torch.synchronize();
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ sps: (steps * batch) / seconds, live: torch.liveTensors() }));
  } else if (kind === "rss") {
    const total = int("steps");
    const out: Record<string, number> = {};
    for (let i = 1; i <= total; i++) {
      step(i);
      if (i === 100 || i === total) out[`rss_mb_${i}`] = rssMb();
    }
    console.log(JSON.stringify(out));
  } else {
    throw new Error(`unknown worker ${kind}`);
  }
}

function runJson(command: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Record<string, number | string> {
  const run = spawnSync(command, argv, { encoding: "utf8", env, maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`${command} ${argv.join(" ")} failed:\n${run.stderr}`);
  const last = run.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as Record<string, number | string>;
}

/** Python with the torch that $LIBTORCH points into, when it is a pip install's torch/ folder. */
function pythonSetup(blas: string | null): { python: string; env: NodeJS.ProcessEnv } {
  const libtorch = process.env.LIBTORCH;
  // PyTorch runs with the thread settings modalfuse applied as its engine loaded
  // (OPENBLAS_NUM_THREADS on few cores), so that the two engines compare on equal terms.
  // The same holds for OpenMP's waiting policy, which modalfuse sets to passive as it loads.
  const env: NodeJS.ProcessEnv = { ...process.env, ...(blas === null ? {} : { OPENBLAS_NUM_THREADS: blas }), ...(process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined ? { OMP_WAIT_POLICY: "PASSIVE" } : {}) };
  if (libtorch && existsSync(join(libtorch, "__init__.py"))) env.PYTHONPATH = [dirname(libtorch), env.PYTHONPATH].filter(Boolean).join(":");
  return { python: args.python ?? (libtorch ? "python3" : "/usr/bin/python3"), env };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  if (args.worker) return worker(args.worker);
  const quick = args.quick ?? false;
  const rounds = quick ? 1 : int("rounds");
  const steps: Record<number, number> = { 32: quick ? 20 : int("steps32"), 256: quick ? 4 : int("steps256") };
  const rssSteps = quick ? 300 : int("rss-steps");
  const { doctor } = await import("../src/engine/doctor.js");
  const { TUTORIAL_SHAPE } = await import("./tutorial-model.js");
  const engine = doctor();
  const { python, env } = pythonSetup(engine.blasThreads);
  const self = fileURLToPath(import.meta.url);
  const common = ["--threads", args.threads ?? "1", "--device", args.device ?? "cpu", "--warmup", quick ? "2" : args.warmup ?? "5"];
  console.log(`libtorch ${engine.version} (${engine.libtorch}), ${engine.blas}, ${args.threads} threads, device ${args.device}`);
  console.log(`model: the tutorial's (tabular ${TUTORIAL_SHAPE.tabular}, image ${TUTORIAL_SHAPE.image.join("x")}, spectrogram ${TUTORIAL_SHAPE.audio.join("x")}), Adam, random data in memory`);

  const figures: Record<string, number | string> = { libtorch: `${engine.version} ${engine.libtorch}` };
  for (const batch of [32, 256]) {
    const ours: number[] = [];
    const theirs: number[] = [];
    let pytorchVersion = "";
    for (let r = 0; r < rounds; r++) {
      const py = runJson(python, [join(SOURCE, "pytorch_tutorial.py"), "--batch", String(batch), "--steps", String(steps[batch]), "--shape", JSON.stringify(TUTORIAL_SHAPE), ...common], env);
      theirs.push(Number(py.sps));
      pytorchVersion = String(py.torch);
      const mf = runJson(process.execPath, [self, "--worker", "train", "--batch", String(batch), "--steps", String(steps[batch]), ...common]);
      ours.push(Number(mf.sps));
      console.log(`  batch ${batch}, round ${r + 1}: PyTorch ${Number(py.sps).toFixed(1)} samples/s, modalfuse ${Number(mf.sps).toFixed(1)} samples/s`);
    }
    const m = median(ours);
    const p = median(theirs);
    figures[`modalfuse_sps_b${batch}`] = round(m);
    figures[`pytorch_sps_b${batch}`] = round(p);
    figures[`ratio_b${batch}`] = round(m / p, 3);
    figures.pytorch = pytorchVersion;
    console.log(`batch ${batch}: modalfuse ${m.toFixed(1)} samples/s, PyTorch ${pytorchVersion} ${p.toFixed(1)} samples/s, ratio ${(m / p).toFixed(3)}`);
  }

  // resnet18 at 64x64, batch 32: the layers pretrained image encoders are made of.
  const resnetSteps = quick ? "3" : (args["steps-resnet"] ?? "10");
  const resnetOurs: number[] = [];
  const resnetTheirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const py = runJson(python, [join(SOURCE, "pytorch_resnet.py"), "--batch", "32", "--size", "64", "--steps", resnetSteps, ...common], env);
    resnetTheirs.push(Number(py.sps));
    const mf = runJson(process.execPath, [self, "--worker", "resnet", "--batch", "32", "--steps", resnetSteps, ...common]);
    resnetOurs.push(Number(mf.sps));
    console.log(`  resnet18 64x64 batch 32, round ${r + 1}: PyTorch ${Number(py.sps).toFixed(1)} samples/s, modalfuse ${Number(mf.sps).toFixed(1)} samples/s`);
  }
  figures.resnet18_modalfuse_sps = round(median(resnetOurs));
  figures.resnet18_pytorch_sps = round(median(resnetTheirs));
  figures.resnet18_ratio = round(median(resnetOurs) / median(resnetTheirs), 3);
  console.log(`resnet18 64x64 batch 32: modalfuse ${median(resnetOurs).toFixed(1)} samples/s, PyTorch ${median(resnetTheirs).toFixed(1)} samples/s, ratio ${(median(resnetOurs) / median(resnetTheirs)).toFixed(3)}`);

  const rss = runJson(process.execPath, [self, "--worker", "rss", "--batch", "32", "--steps", String(rssSteps), ...common]);
  figures.rss_mb_100 = round(Number(rss.rss_mb_100));
  figures[`rss_mb_${rssSteps === 2000 ? 2000 : rssSteps}`] = round(Number(rss[`rss_mb_${rssSteps}`]));
  if (rssSteps !== 2000) figures.rss_mb_2000 = "not measured (--rss-steps)";
  const last = Number(rss[`rss_mb_${rssSteps}`]);
  console.log(`resident memory: ${figures.rss_mb_100} MB after 100 steps, ${round(last)} MB after ${rssSteps} steps (ratio ${(last / Number(rss.rss_mb_100)).toFixed(3)})`);

  if (args.json) writeFileSync(args.json, JSON.stringify(figures, null, 2) + "\n");
  console.log(JSON.stringify(figures));
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

await main();
