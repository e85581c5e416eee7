// The exported audio front end alone: from the waveforms modalfuse decodes, the graph's
// log-mel (DFT matmul, modalfuse's filterbank, float16 storage) equals the decoder's
// float16 features, except where the engine's float32 FFT and the graph land on either
// side of a float16 rounding boundary: there they are one float16 step apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { logMelOptionsOf } from "../../src/data/audio/audio-features.js";
import { resolveLogMelOptions } from "../../src/data/audio/logmel.js";
import { readManifest } from "../../src/data/table/manifest.js";
import { loadAudioColumn, loadWaveforms } from "../../src/data/workers/media-loader.js";
import { Graph } from "../../src/export/onnx/graph.js";
import { logMelGraph } from "../../src/export/onnx/logmel.js";
import { DataType, encodeModel } from "../../src/export/onnx/proto.js";
import { tempDir } from "../helpers/cli.js";
import { writeClinic } from "../helpers/clinic.js";

/** The spacing of float16 values around v. */
const float16Step = (v: number) => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -14))) - 10);

for (const [sampleRate, nMels] of [
  [8000, 16],
  [16000, 40],
] as const) {
  test(`log-mel at ${sampleRate} Hz, ${nMels} bands: the graph gives the decoder's float16 features`, async () => {
    const dir = tempDir("mf-onnx-logmel-");
    const manifest = await readManifest(writeClinic(dir, 14).manifest);
    const a = { sampleRate, seconds: 0.7, nMels, hopMs: 10, windowMs: 25 };
    const samples = Math.round(sampleRate * a.seconds);
    const source = { cells: manifest.rows.map((r) => r.voice ?? null), column: "voice", dir: manifest.dir, manifest: "clinic.csv" };
    const decoded = await loadAudioColumn({ ...source, cache: null, keepArray: false }, a);
    const reference = decoded.data.tensor.float().toTypedArray() as Float32Array;
    const { data: waves } = await loadWaveforms(source, a);

    const g = new Graph();
    const x = g.input("waveforms", DataType.FLOAT, ["batch", samples]);
    const logMel = logMelGraph(g, x, samples, resolveLogMelOptions(logMelOptionsOf(a)));
    g.output("log_mel", g.op("Cast", [g.op("Cast", [logMel], { to: { int: DataType.FLOAT16 } })], { to: { int: DataType.FLOAT } }), DataType.FLOAT, ["batch", nMels, "frames"]);
    const session = await ort.InferenceSession.create(encodeModel(g.model({ name: "front_end", producerVersion: "test", doc: "", metadata: {} })));
    const rows = source.cells.length;
    const out = (await session.run({ waveforms: new ort.Tensor("float32", waves, [rows, samples]) })).log_mel as ort.Tensor;
    assert.deepEqual(out.dims, [rows, nMels, decoded.data.rowShape[1]]);
    const got = out.data as Float32Array;

    const perRow = got.length / rows;
    let compared = 0;
    let differing = 0;
    for (let i = 0; i < got.length; i++) {
      if (!decoded.present[Math.floor(i / perRow)]) continue;
      compared++;
      const want = reference[i] as number;
      const diff = Math.abs((got[i] as number) - want);
      if (diff === 0) continue;
      differing++;
      assert.ok(diff <= float16Step(want) * 1.0001, `value ${i}: ${got[i]} against ${want}, more than one float16 step apart`);
    }
    assert.ok(compared > 1000, `${compared} values compared`);
    assert.ok(differing / compared < 1e-3, `${differing} of ${compared} values differ`);
    await session.release();
  });
}
