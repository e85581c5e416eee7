// `modalfuse serve`: a trained run over HTTP. Routes and the web page come from the run's
// inputs (each kind's fields); predictions go through the same code as `modalfuse predict`,
// in micro-batches shared by concurrent requests.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import type { Row } from "../data/table/manifest.js";
import type { DataIssue } from "../data/workers/media-loader.js";
import { inputNames, type PreprocessState } from "../data/preprocess-state.js";
import type { Prediction } from "../inference.js";
import type { InputField } from "../inputs/kind.js";
import { kindOf } from "../inputs/registry.js";
import { acquireSharedPool, releaseSharedPool } from "../data/workers/media-pool.js";
import { predictionsCsv } from "../predictions-csv.js";
import { VERSION } from "../version.js";
import { Batcher, QueueFull, type BatcherOptions } from "./batcher.js";
import { ServerMetrics } from "./metrics.js";
import { servedPage } from "./page.js";
import { RequestError, RequestRows, rowsFromForm, rowsFromJson, type FormPart, type RowSchema } from "./requests.js";

/** What the server predicts with: a trained run (libtorch) or its exported graph. */
export interface Predictor {
  readonly state: PreprocessState;
  readonly classes: string[];
  predictWithIssues(rows: Row[], options: { explain?: boolean; cache?: false }): Promise<{ predictions: Prediction[]; issues: DataIssue[] }>;
}

export interface ServeOptions {
  batch: BatcherOptions;
  /** Largest upload, per file and per JSON body, in bytes. */
  maxFileBytes: number;
  maxFiles: number;
  /** All files of one form together, in bytes. */
  maxFormBytes: number;
  maxRows: number;
  engine: string;
}

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  batch: { windowMs: 4, maxRows: 64, maxQueue: 2048 },
  maxFileBytes: 20 * 1024 * 1024,
  maxFiles: 256,
  maxFormBytes: 256 * 1024 * 1024,
  maxRows: 1000,
  engine: "libtorch",
};

export interface ModelInfo {
  version: string;
  engine: string;
  label: string;
  id: string | null;
  classes: string[];
  fusion: string;
  preset: string;
  inputs: { name: string; kind: string; fields: InputField[] }[];
  limits: { max_file_bytes: number; max_files: number; max_form_bytes: number; max_rows: number; max_batch_rows: number };
}

export function modelInfo(state: PreprocessState, o: ServeOptions): ModelInfo {
  return {
    version: VERSION,
    engine: o.engine,
    label: state.label,
    id: state.id,
    classes: state.classes,
    fusion: state.model.fusion,
    preset: state.model.preset,
    inputs: state.inputs.map((i) => ({ name: i.name, kind: i.kind, fields: kindOf(i).fields(i) })),
    limits: { max_file_bytes: o.maxFileBytes, max_files: o.maxFiles, max_form_bytes: o.maxFormBytes, max_rows: o.maxRows, max_batch_rows: o.batch.maxRows },
  };
}

/** One row's prediction and the files of it that could not be read. */
interface RowResult {
  prediction: Prediction;
  issues: DataIssue[];
}

export interface Server {
  app: FastifyInstance;
  /** Ready turns false once draining begins (SIGTERM). */
  setDraining(): void;
}

export async function buildServer(predictor: Predictor, options: Partial<ServeOptions> = {}): Promise<Server> {
  const o: ServeOptions = { ...DEFAULT_SERVE_OPTIONS, ...options, batch: { ...DEFAULT_SERVE_OPTIONS.batch, ...options.batch } };
  const info = modelInfo(predictor.state, o);
  const schema: RowSchema = { fields: new Map(info.inputs.flatMap((i) => i.fields.map((f) => [f.column, f] as const))), id: predictor.state.id, label: predictor.state.label, maxRows: o.maxRows, maxFormBytes: o.maxFormBytes };
  const metrics = new ServerMetrics();
  const batcher = new Batcher<Row, RowResult>(o.batch, (rows, group) => scoreRows(predictor, rows, group === "explain"), (n) => metrics.batchRows.observe(n));
  const page = servedPage(info);
  let draining = false;

  // Base64 media make JSON bodies about 4/3 of the files they carry.
  const app = Fastify({ bodyLimit: Math.ceil((o.maxFileBytes * 4) / 3) + 64 * 1024, logger: false, return503OnClosing: true });
  // Only JSON and multipart bodies are predictions; anything else is 415.
  app.removeContentTypeParser("text/plain");
  // The media decoding threads stay up while the server does, instead of starting per batch.
  const pool = acquireSharedPool();
  app.addHook("onClose", async () => releaseSharedPool(pool));
  await app.register(multipart, { limits: { fileSize: o.maxFileBytes, files: o.maxFiles, fields: 10_000, parts: 10_000 + o.maxFiles }, throwFileSizeLimit: true });

  app.addHook("onResponse", async (request, reply) => {
    metrics.observe(request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
  });
  // While draining, each answer closes its connection, so that close() need not wait for idle keep-alives.
  app.addHook("onSend", async (_request, reply, payload) => {
    if (draining) reply.header("connection", "close");
    return payload;
  });
  app.setNotFoundHandler((request, reply) => void reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}` }));
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof RequestError) return reply.code(error.status).send({ error: error.message, ...(error.field ? { field: error.field } : {}) });
    if (error instanceof QueueFull) return reply.code(503).header("retry-after", "1").send({ error: "the server is busy: try again shortly" });
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      process.stderr.write(`modalfuse serve: ${error.stack ?? error.message}\n`);
      return reply.code(500).send({ error: "internal error" });
    }
    return reply.code(status).send({ error: error.message });
  });

  app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));
  app.get("/v1/model", async () => info);
  app.get("/v1/health/live", async () => ({ status: "live" }));
  app.get("/v1/health/ready", async (_request, reply) => (draining ? reply.code(503).send({ status: "draining" }) : { status: "ready" }));
  app.get("/metrics", async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));

  app.post("/v1/predict", async (request: FastifyRequest<{ Querystring: { explain?: string; format?: string } }>, reply: FastifyReply) => {
    const explain = ["1", "true", "yes"].includes(request.query.explain ?? "");
    const asCsv = request.query.format === "csv";
    const into = new RequestRows();
    try {
      if (request.isMultipart()) await rowsFromForm(request.parts() as AsyncIterable<FormPart>, schema, into);
      else await rowsFromJson(request.body, schema, into);
      const results = await batcher.submit(into.rows, explain ? "explain" : "plain");
      const bad = results.findIndex((r) => r.issues.length > 0);
      if (bad >= 0) {
        const issue = (results[bad] as RowResult).issues[0] as DataIssue;
        throw new RequestError(400, `${into.rows.length > 1 ? `row ${bad}, ` : ""}${issue.column}: ${issue.problem}`, issue.column);
      }
      // Ids are the request's own: its id column, else each row's position in the request.
      const predictions = results.map(({ prediction }, i) => ({ ...prediction, id: idOf(into.rows[i] as Row, predictor.state.id, i) }));
      metrics.predictedRows.inc(predictions.length);
      if (!asCsv) return { predictions };
      const csv = predictionsCsv(predictions, { classes: predictor.classes, hasId: predictor.state.id !== null, inputs: explain ? inputNames(predictor.state) : [] });
      return reply.type("text/csv; charset=utf-8").header("content-disposition", 'attachment; filename="predictions.csv"').send(csv);
    } finally {
      await into.dispose();
    }
  });

  return {
    app,
    setDraining: () => {
      draining = true;
    },
  };
}

function idOf(row: Row, idColumn: string | null, position: number): string {
  const id = idColumn ? row[idColumn] : null;
  return id === null || id === undefined || id === "" ? String(position) : String(id);
}

/** Scores a batch; a row's unreadable files come back as its issues, not as an error for the batch. */
async function scoreRows(predictor: Predictor, rows: Row[], explain: boolean): Promise<RowResult[]> {
  const { predictions, issues } = await predictor.predictWithIssues(rows, { explain, cache: false });
  const byRow = new Map<number, DataIssue[]>();
  for (const issue of issues) byRow.set(issue.row, [...(byRow.get(issue.row) ?? []), issue]);
  return predictions.map((prediction, i) => ({ prediction, issues: byRow.get(i) ?? [] }));
}
