import { describe, expect, it } from 'vitest';
import { createLogger, Registry, startOpsServer } from '../src/index.js';

describe('Registry', () => {
  it('renders counters, gauges and histograms in Prometheus text format', () => {
    const r = new Registry();
    const c = r.counter('wmi_alerts_total', 'Alerts by sid');
    c.inc({ sid: 4103023 });
    c.inc({ sid: 4103023 }, 2);
    c.inc({ sid: 4103001 });
    r.gauge('wmi_connections', 'Open connections').set(7);
    const h = r.histogram('wmi_batch_seconds', 'Batch time', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(3);
    const text = r.render();
    expect(text).toContain('# TYPE wmi_alerts_total counter');
    expect(text).toContain('wmi_alerts_total{sid="4103023"} 3');
    expect(text).toContain('wmi_alerts_total{sid="4103001"} 1');
    expect(text).toContain('wmi_connections 7');
    expect(text).toContain('wmi_batch_seconds_bucket{le="0.1"} 1');
    expect(text).toContain('wmi_batch_seconds_bucket{le="1"} 2');
    expect(text).toContain('wmi_batch_seconds_bucket{le="+Inf"} 3');
    expect(text).toContain('wmi_batch_seconds_count 3');
    expect(text).toContain('wmi_batch_seconds_sum 3.55');
  });

  it('escapes label values and refuses to re-register a name with another type', () => {
    const r = new Registry();
    r.counter('x_total', 'x').inc({ reason: 'bad "quote"\nnewline' });
    expect(r.render()).toContain('x_total{reason="bad \\"quote\\"\\nnewline"} 1');
    expect(() => r.gauge('x_total', 'x')).toThrow(/already registered as counter/);
    expect(() => r.counter('x_total', 'x').inc(undefined, -1)).toThrow(/cannot decrease/);
  });
});

describe('ops server', () => {
  it('answers healthz, readyz by its checks, and metrics', async () => {
    const r = new Registry();
    r.counter('up_total', 'u').inc();
    let kafka = false;
    const srv = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: r,
      checks: [{ name: 'kafka', ready: () => kafka }],
    });
    try {
      const base = `http://127.0.0.1:${srv.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not_ready', failing: ['kafka'] });
      kafka = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const m = await fetch(`${base}/metrics`);
      expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await m.text()).toContain('up_total 1');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
});

describe('logger', () => {
  it('writes one JSON object per line with level filtering and child fields', () => {
    const lines: string[] = [];
    const log = createLogger('detect', { level: 'info', write: (l) => lines.push(l) });
    log.debug('hidden');
    log.child({ partition: 3 }).warn('slow', { ms: 12 });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]);
    expect(rec).toMatchObject({ level: 'warn', service: 'detect', msg: 'slow', partition: 3, ms: 12 });
    expect(lines[0].endsWith('\n')).toBe(true);
  });
});
