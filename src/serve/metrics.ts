// The server's Prometheus metrics: requests by route and status, latency, batch sizes and
// errors, in a registry of its own (never the process-wide default one).
import { Counter, Histogram, Registry } from "prom-client";

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: "modalfuse_requests_total", help: "HTTP requests answered, by route and status code", labelNames: ["route", "status"], registers: [this.registry] });
  readonly errors = new Counter({ name: "modalfuse_errors_total", help: "Requests answered with an error (4xx or 5xx), by route and status code", labelNames: ["route", "status"], registers: [this.registry] });
  readonly latency = new Histogram({
    name: "modalfuse_request_duration_seconds",
    help: "Time from a request's arrival to its answer, by route",
    labelNames: ["route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly batchRows = new Histogram({ name: "modalfuse_batch_rows", help: "Rows scored together in one forward pass", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [this.registry] });
  readonly predictedRows = new Counter({ name: "modalfuse_predicted_rows_total", help: "Rows predicted", registers: [this.registry] });

  observe(route: string, status: number, seconds: number): void {
    const labels = { route, status: String(status) };
    this.requests.inc(labels);
    if (status >= 400) this.errors.inc(labels);
    this.latency.observe({ route }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
