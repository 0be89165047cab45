// An application exporting metrics to mmwatch with the OpenTelemetry JS SDK,
// configured only by the standard environment variables (docs/otlp.md):
//   OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/metrics)
//   OTEL_EXPORTER_OTLP_METRICS_HEADERS, _TIMEOUT, _COMPRESSION, _TEMPORALITY_PREFERENCE
//     (and their OTEL_EXPORTER_OTLP_* forms): read by the exporter itself
//   OTEL_EXPORTER_OTLP_METRICS_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL:
//     http/protobuf (the default) or http/json
//   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: the resource
//   OTEL_METRIC_EXPORT_INTERVAL, OTEL_METRIC_EXPORT_TIMEOUT: milliseconds
// It counts made-up orders ten times a second until SIGINT or SIGTERM, then
// exports what is left and exits.
import { DiagConsoleLogger, DiagLogLevel, diag, metrics } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { Resource, detectResourcesSync, envDetectorSync } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

const env = process.env;
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN); // failed exports show on stderr

const protocol = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
const Exporter = { 'http/protobuf': ProtoExporter, 'http/json': JsonExporter }[protocol];
if (!Exporter) {
  console.error(`app.mjs: OTLP protocol ${protocol}: this example speaks http/protobuf and http/json`);
  process.exit(2);
}
// No url, headers or timeout given here: the exporter takes them from the
// environment, as every OpenTelemetry SDK does.
const exporter = new Exporter();
// The JS reader does not read these two itself; the other SDKs do.
const intervalMs = Number(env.OTEL_METRIC_EXPORT_INTERVAL || 60000);
const timeoutMs = Math.min(Number(env.OTEL_METRIC_EXPORT_TIMEOUT || 30000), intervalMs);
const provider = new MeterProvider({
  resource: Resource.default().merge(detectResourcesSync({ detectors: [envDetectorSync] })),
  readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMs, exportTimeoutMillis: timeoutMs })],
});
metrics.setGlobalMeterProvider(provider);

const meter = metrics.getMeter('mmwatch-otel-example', '1.0.0');
const orders = meter.createCounter('orders.placed', { description: 'Orders placed', unit: '{order}' });
const duration = meter.createHistogram('http.server.request.duration', {
  description: 'Duration of HTTP server requests',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] },
});
const regions = ['eu', 'us'];
let n = 0;
const timer = setInterval(() => {
  n += 1;
  orders.add(1, { region: regions[n % regions.length] });
  duration.record(0.002 * (n % 50), { 'http.request.method': 'POST', 'http.response.status_code': n % 20 ? 200 : 500 });
}, 100);

const stop = async () => {
  clearInterval(timer);
  await provider.shutdown(); // exports once more
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
console.log(`exporting ${protocol} every ${intervalMs} ms; Ctrl-C to stop`);
