// Exports a counter, an up-down counter, a histogram and an observable
// gauge with the OpenTelemetry JS SDK to the OTLP/HTTP endpoint in
// MMWATCH_OTLP_URL, twice (the second round changes the values), and
// prints each export's result code as JSON. Exit 1 if an export failed.
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

const url = process.env.MMWATCH_OTLP_URL;
if (!url) {
  console.error('MMWATCH_OTLP_URL is not set');
  process.exit(2);
}

const exporter = new OTLPMetricExporter({ url });
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
