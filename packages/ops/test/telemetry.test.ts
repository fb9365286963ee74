import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, diag, metrics, propagation, SpanStatusCode, trace } from '@opentelemetry/api';
import { type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, startTelemetry, type Telemetry, telemetryDecision } from '../src/index.js';

const silent = createLogger('test', { level: 'silent' });

/** The SDK registers global providers; every test starts from the API's no-op state again. */
let running: Telemetry | undefined;
const savedEnv = { ...process.env };
afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  diag.disable();
  for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_') && !(k in savedEnv)) delete process.env[k];
});

describe('telemetryDecision: when the OTEL_* environment asks for export', () => {
  it('exports nothing when nothing is configured, or when the SDK is disabled', () => {
    expect(telemetryDecision({})).toMatchObject({ enabled: false, traces: false, metrics: false });
    expect(
      telemetryDecision({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toMatchObject({ enabled: false, reason: 'OTEL_SDK_DISABLED=true' });
    // the spec's default exporter list ("otlp") alone is not a configuration: no endpoint, no export
    expect(telemetryDecision({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).enabled).toBe(false);
  });

  it('an OTLP endpoint turns on the signals it applies to; "none" turns a signal off', () => {
    expect(telemetryDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toMatchObject({
      enabled: true,
      traces: true,
      metrics: true,
    });
    expect(telemetryDecision({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toMatchObject({
      enabled: true,
      traces: true,
      metrics: false,
    });
    expect(
      telemetryDecision({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_METRICS_EXPORTER: 'none' }),
    ).toMatchObject({ enabled: true, traces: true, metrics: false });
    expect(
      telemetryDecision({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_TRACES_EXPORTER: ' None ',
      }).enabled,
    ).toBe(false);
  });

  it('an exporter named explicitly is on without an endpoint (e.g. a node-local agent, or console)', () => {
    expect(telemetryDecision({ OTEL_TRACES_EXPORTER: 'console' })).toMatchObject({ traces: true, metrics: false });
    expect(telemetryDecision({ OTEL_METRICS_EXPORTER: 'otlp' })).toMatchObject({ traces: false, metrics: true });
  });
});

describe('startTelemetry', () => {
  it('does not load the SDK when export is not configured, and API spans stay no-ops', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      return import('@opentelemetry/sdk-node');
    };
    running = await startTelemetry('wmi-detect-test', { env: { OTEL_SERVICE_NAME: 'x' }, logger: silent, load });
    expect(running.enabled).toBe(false);
    expect(loads).toBe(0);
    const span = trace.getTracer('t').startSpan('batch');
    expect(span.isRecording()).toBe(false);
    span.end();

    running = await startTelemetry('wmi-detect-test', {
      env: { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' },
      logger: silent,
      load,
    });
    expect(running.enabled).toBe(false);
    expect(loads).toBe(0);
  });

  it('spans recorded through the API reach the configured exporter, with the service name and parentage', async () => {
    // An in-memory exporter that keeps its spans through shutdown (the SDK's InMemorySpanExporter clears them, and
    // export is asynchronous until the resource's async attributes, e.g. host.id, are known).
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: 0 });
      },
      shutdown: async () => {},
    };
    let loads = 0;
    running = await startTelemetry('wmi-detect-test', {
      env: {},
      logger: silent,
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
      load: async () => {
        loads++;
        return import('@opentelemetry/sdk-node');
      },
    });
    expect(running).toMatchObject({ enabled: true, traces: true, metrics: false });
    expect(loads).toBe(1);

    // what a service does: a span per batch, a child per output transaction
    const tracer = trace.getTracer('@wmi-detect/detect');
    tracer.startActiveSpan('detect.batch', (batch) => {
      batch.setAttribute('messaging.batch.message_count', 42);
      tracer.startActiveSpan('detect.commit', (commit) => {
        commit.setStatus({ code: SpanStatusCode.ERROR, message: 'fenced' });
        commit.end();
      });
      batch.end();
    });

    await running.shutdown(); // flushes the processor
    running = undefined;
    const spans = exported;
    expect(spans.map((s) => s.name)).toEqual(['detect.commit', 'detect.batch']);
    const [commit, batch] = spans;
    expect(batch.attributes['messaging.batch.message_count']).toBe(42);
    expect(commit.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(commit.spanContext().traceId).toBe(batch.spanContext().traceId);
    expect(commit.status).toEqual({ code: SpanStatusCode.ERROR, message: 'fenced' });
    expect(batch.resource.attributes['service.name']).toBe('wmi-detect-test');
    expect(batch.instrumentationScope.name).toBe('@wmi-detect/detect');
  });

  it('from the environment alone: OTLP/HTTP export of spans and metrics to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const received: { path: string; contentType: string; body: unknown }[] = [];
    const collector: Server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: String(req.headers['content-type']),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
      // The SDK reads process.env itself (as it would in a pod); afterEach removes these again.
      Object.assign(process.env, {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'wmi-detect-ingest-canary',
        OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=ingest-0',
      });
      running = await startTelemetry('wmi-detect-ingest', { logger: silent });
      expect(running).toMatchObject({ enabled: true, traces: true, metrics: true });

      trace.getTracer('@wmi-detect/ingest').startActiveSpan('ingest.batch', (s) => {
        s.setAttribute('wmi.sensor.id', 'sensor-a');
        s.end();
      });
      metrics.getMeter('@wmi-detect/ingest').createCounter('wmi.ingest.frames').add(17, { sensor: 'sensor-a' });
      await running.shutdown(); // flushes both signals
      running = undefined;

      const traces = received.find((r) => r.path === '/v1/traces');
      const metricPost = received.find((r) => r.path === '/v1/metrics');
      expect(traces?.contentType).toBe('application/json');
      const text = JSON.stringify(traces?.body);
      expect(text).toContain('"name":"ingest.batch"');
      expect(text).toContain('{"key":"service.name","value":{"stringValue":"wmi-detect-ingest-canary"}}');
      expect(text).toContain('{"key":"k8s.pod.name","value":{"stringValue":"ingest-0"}}');
      expect(text).toContain('{"key":"wmi.sensor.id","value":{"stringValue":"sensor-a"}}');
      const m = JSON.stringify(metricPost?.body);
      expect(m).toContain('"name":"wmi.ingest.frames"');
      expect(m).toMatch(/"as(Int|Double)":"?17"?[,}]/);
    } finally {
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
  });
});
