// Exports a counter, an up-down counter, a histogram, an observable gauge
// and an exponential histogram with the OpenTelemetry JS SDK to the OTLP
// endpoint in MMWATCH_OTLP_URL (OTLP/HTTP, or gRPC with
// MMWATCH_OTLP_PROTOCOL=grpc and a URL http://HOST:PORT), twice (the second
// round changes the values), and prints each export's result code as JSON.
// Exit 1 if an export failed.
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  ExponentialHistogramAggregation,
  MeterProvider,
  PeriodicExportingMetricReader,
  View,
} from '@opentelemetry/sdk-metrics';

const url = process.env.MMWATCH_OTLP_URL;
if (!url) {
  console.error('MMWATCH_OTLP_URL is not set');
  process.exit(2);
}

// MMWATCH_OTLP_PROTOCOL=proto: http/protobuf (what most SDKs send); grpc:
// OTLP over gRPC (@grpc/grpc-js, h2c for an http:// URL); else http/json.
const exporters = { proto: ProtoExporter, grpc: GrpcExporter };
const Exporter = exporters[process.env.MMWATCH_OTLP_PROTOCOL] ?? JsonExporter;
const exporter = new Exporter({ url });
const results = [];
const originalExport = exporter.export.bind(exporter);
exporter.export = (data, done) =>
  originalExport(data, (result) => {
    results.push({ code: result.code, error: result.error ? String(result.error) : undefined });
    done(result);
  });

// A long interval: exports happen only on forceFlush, so the test decides when.
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const provider = new MeterProvider({
  resource: new Resource({
    'service.name': 'otel-js-test',
    'service.namespace': 'bb',
    'service.instance.id': 'i-42',
    'deployment.environment': 'test',
  }),
  readers: [reader],
  // An exponential histogram, the aggregation OTel SDKs offer for latency.
  views: [new View({ instrumentName: 'exp.latency', aggregation: new ExponentialHistogramAggregation(160) })],
});
metrics.setGlobalMeterProvider(provider);
const meter = provider.getMeter('mmwatch-blackbox', '1.0.0');

const jobs = meter.createCounter('jobs.processed', { description: 'Jobs processed', unit: '{job}' });
const depth = meter.createUpDownCounter('queue.depth', { description: 'Items waiting', unit: '{item}' });
const duration = meter.createHistogram('http.server.request.duration', {
  description: 'Duration of HTTP server requests',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
});
let heap = 12345;
const memory = meter.createObservableGauge('memory.usage', { description: 'Memory in use', unit: 'By' });
memory.addCallback((r) => r.observe(heap, { kind: 'heap' }));

const expLatency = meter.createHistogram('exp.latency', { description: 'Latency, exponential buckets', unit: 's' });
for (const v of [1, 2, 4, 3]) expLatency.record(v);

jobs.add(5, { queue: 'a' });
jobs.add(2, { queue: 'a' });
jobs.add(4, { queue: 'b' });
depth.add(10);
depth.add(-3);
duration.record(0.05, { 'http.response.status_code': 200 });
duration.record(0.3, { 'http.response.status_code': 200 });
duration.record(2, { 'http.response.status_code': 500 });
await reader.forceFlush();

// Second round: cumulative values grow, the gauge changes.
jobs.add(3, { queue: 'a' });
depth.add(-2);
duration.record(0.07, { 'http.response.status_code': 200 });
heap = 23456;
await reader.forceFlush();
await provider.shutdown();

console.log(JSON.stringify({ results }));
process.exit(results.length >= 2 && results.every((r) => r.code === 0) ? 0 : 1);
