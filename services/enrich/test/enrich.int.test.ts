/**
 * The enrich service against the real broker, fed with real detection records: the EVE alerts, tag and
 * dcerpc_session records the engine gives for generated WMI captures (packages/capture-gen scenarios, the same
 * records `wmidetect analyze --sessions` prints), keyed by host pair as detect keys them.
 *
 *   A  reference data on the compacted topics before start (a whitelist entry only the topic has, a tombstone that
 *      deletes a file entry, an invalid record, an asset) + detections already waiting: nothing is processed before
 *      the topics are read to their end, and the topic state decides the routing of the waiting alerts.
 *   B  a replay from detect: the `sealed` scenario repeats three alert ids of `wmi-activation-ok` (same packets,
 *      same deterministic ids) — dropped as duplicates; a garbage record goes to the DLQ with its coordinates and the
 *      good record after it is still processed.
 *   C  hot reload: a whitelist entry published while running moves a later alert (kerberos scenario) to the
 *      suppressed topic, without restart.
 *
 * Waiting is event-driven (Progress): on output records arriving and on the service's own events.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarioBytes } from '@wmi-detect/capture-gen';
import { defaultRulesPath, Engine, type EveRecord, HostPairKey, loadRules, openCapture } from '@wmi-detect/engine';
import {
  createKafkajsClient,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaRecord,
  type RecordSink,
  type RecordSource,
} from '@wmi-detect/kafka';
import { createLogger, Registry } from '@wmi-detect/ops';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, testKafkaLogger, uniqueName } from '../../../test/kafka/brokers.js';
import { Progress } from '../../../test/kafka/until.js';
import type { EnrichTopics } from '../src/config.js';
import { ReferenceData } from '../src/reference.js';
import { DLQ_HEADERS, type EnrichEvent, EnrichService } from '../src/service.js';

const dir = mkdtempSync(join(tmpdir(), 'enrich-int-'));

/** What the engine reports for a generated scenario, stats records left out (detect does not publish them). */
async function detections(scenario: string): Promise<EveRecord[]> {
  const file = join(dir, `${scenario}.pcap`);
  writeFileSync(file, scenarioBytes(scenario).bytes);
  // the seed pack only: these tests are about routing, and their expectations name the seed's sids
  const { ruleSet } = loadRules({ ruleFiles: [defaultRulesPath()] });
  const out: EveRecord[] = [];
  const engine = new Engine({ ruleSet, capture: file, sessionRecords: true, onRecord: (r) => out.push(r) });
  let n = 0;
  await openCapture(file).forEach((f) => {
    engine.processFrame(f, n++);
  });
  engine.finish();
  return out.filter((r) => r.event_type !== 'stats');
}

const keyOf = (r: EveRecord) => {
  const rec = r as unknown as { src_ip: string; dest_ip: string };
  return Buffer.from(HostPairKey.of(rec.src_ip, rec.dest_ip)!.bytes);
};

type Out = { topic: string; rec: Record<string, unknown>; raw: KafkaRecord };

describe('enrich service on the real broker', () => {
  let client: KafkaClient;
  let admin: KafkaAdmin;
  let sink: RecordSink;
  let reader: RecordSource;
  let service: EnrichService;
  const progress = new Progress();
  const outputs: Out[] = [];
  const events: EnrichEvent[] = [];
  const topics: EnrichTopics = {
    detections: uniqueName('enr-detections'),
    alerts: uniqueName('enr-alerts'),
    suppressed: uniqueName('enr-suppressed'),
    dlq: uniqueName('enr-dlq'),
    refAssets: uniqueName('enr-ref-assets'),
    refWhitelist: uniqueName('enr-ref-whitelist'),
  };
  const groupId = uniqueName('enr-group');
  const fileAssets = join(dir, 'assets.json');
  const fileWhitelist = join(dir, 'whitelist.json');
  let activation: EveRecord[];
  let sealed: EveRecord[];
  let kerberos: EveRecord[];

  const ofTopic = (t: string) => outputs.filter((o) => o.topic === t);
  const alertIds = (t: string) =>
    ofTopic(t)
      .filter((o) => o.rec.event_type === 'alert')
      .map((o) => o.rec.alert_id as string);
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const publish = (recs: readonly EveRecord[]) =>
    sink.send(
      recs.map((r, i) => ({
        topic: topics.detections,
        key: keyOf(r),
        value: json(r),
        headers: { 'detect.source': `packets/0/${i}` },
      })),
    );

  beforeAll(async () => {
    client = createKafkajsClient({ brokers: kafkaBrokers(), clientId: 'enrich-int', logger: testKafkaLogger });
    admin = client.admin();
    await admin.connect();
    await admin.createTopics([
      { topic: topics.detections, partitions: 3 },
      { topic: topics.alerts, partitions: 3 },
      { topic: topics.suppressed, partitions: 3 },
      { topic: topics.dlq, partitions: 1 },
      { topic: topics.refAssets, partitions: 1, configs: { 'cleanup.policy': 'compact' } },
      { topic: topics.refWhitelist, partitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
    sink = client.sink();
    await sink.connect();
    activation = await detections('wmi-activation-ok');
    sealed = await detections('sealed');
    kerberos = await detections('kerberos');

    reader = client.source({ groupId: uniqueName('enr-reader'), readCommitted: true, maxWaitTimeMs: 100 });
    await reader.connect();
    await reader.subscribe([topics.alerts, topics.suppressed, topics.dlq], { fromBeginning: true });
    await reader.run(async (batch) => {
      for (const raw of batch.records) {
        const rec = batch.topic === topics.dlq ? {} : JSON.parse(raw.value!.toString('utf8'));
        outputs.push({ topic: batch.topic, rec, raw });
      }
      progress.notify();
    });
  });

  afterAll(async () => {
    await service?.stop();
    await reader?.close();
    await sink?.close();
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('A: reads the reference topics to their end before the first detection, then routes by their state', async () => {
    // The engine's view of the scenario, independent of enrich: what must come out.
    const act = activation.filter((r) => r.event_type === 'alert') as unknown as {
      alert_id: string;
      alert: { signature_id: number };
    }[];
    expect(act.map((a) => a.alert.signature_id).sort()).toEqual([4103001, 4103004, 4103022, 4103023]);
    expect(activation.filter((r) => r.event_type === 'dcerpc_session')).toHaveLength(2);

    writeFileSync(fileAssets, JSON.stringify([{ id: 'lab', cidr: '10.0.0.0/24', owner: 'lab team' }]));
    // 'gone' whitelists everything from the client; the topic's tombstone must delete it.
    writeFileSync(fileWhitelist, JSON.stringify([{ id: 'gone', source: '10.0.0.10' }]));
    await sink.send([
      {
        topic: topics.refWhitelist,
        key: Buffer.from('wl-topic'),
        value: json({ id: 'wl-topic', source: '10.0.0.10', sids: [4103001] }),
      },
      { topic: topics.refWhitelist, key: Buffer.from('bad'), value: Buffer.from('{"id":"bad",') },
      { topic: topics.refWhitelist, key: Buffer.from('gone'), value: null },
      {
        topic: topics.refAssets,
        key: Buffer.from('dc01'),
        value: json({
          id: 'dc01',
          cidr: '10.0.0.20/32',
          hostname: 'dc01.corp.local',
          criticality: 'critical',
          tags: ['dc'],
        }),
      },
    ]);
    await publish(activation);

    const reference = ReferenceData.fromFiles({ assetsFile: fileAssets, whitelistFile: fileWhitelist });
    expect(reference.whitelist.size).toBe(1);
    const registry = new Registry();
    service = new EnrichService({
      client,
      groupId,
      topics,
      reference,
      transactionalId: uniqueName('enr-tid'),
      logger: createLogger('enrich-test', { level: 'warn' }),
      registry,
    });
    service.on((e) => {
      events.push(e);
      progress.notify();
    });
    expect(service.ready).toBe(false);
    expect(
      service
        .readinessChecks()
        .filter((c) => !c.ready())
        .map((c) => c.name),
    ).toEqual(['kafka_connected', 'reference_topics_read_to_end', 'dedup_window_rebuilt', 'consuming_detections']);
    await service.start();
    expect(service.ready).toBe(true);

    const firstBatch = events.findIndex((e) => e.type === 'batch');
    const caughtUp = events.findIndex((e) => e.type === 'reference-caught-up');
    const refEvents = events.filter((e) => e.type === 'reference');
    expect(caughtUp).toBeGreaterThanOrEqual(0);
    expect(refEvents).toHaveLength(4);
    expect(firstBatch === -1 || firstBatch > caughtUp).toBe(true);

    const expected = activation.length; // every record goes somewhere: alerts + sessions + tag
    await progress.until(
      () => ofTopic(topics.alerts).length + ofTopic(topics.suppressed).length >= expected,
      `${expected} enriched records`,
      60_000,
      () => JSON.stringify(service.stats()),
    );
    const sid1 = act.find((a) => a.alert.signature_id === 4103001)!.alert_id;
    expect(alertIds(topics.suppressed)).toEqual([sid1]);
    expect(alertIds(topics.alerts).sort()).toEqual(
      act
        .map((a) => a.alert_id)
        .filter((id) => id !== sid1)
        .sort(),
    );
    const sup = ofTopic(topics.suppressed)[0].rec;
    expect(sup.enrichment).toEqual({
      src_asset: { id: 'lab', owner: 'lab team' },
      dest_asset: { id: 'dc01', hostname: 'dc01.corp.local', criticality: 'critical', tags: ['dc'] },
      whitelisted: true,
      whitelist_rule: 'wl-topic',
    });
    // Output is the input record plus enrichment, key kept (host pair), one record per alert.
    const a22 = ofTopic(topics.alerts).find(
      (o) => (o.rec.alert as { signature_id?: number } | undefined)?.signature_id === 4103022,
    )!;
    const in22 = activation.find(
      (r) => (r as unknown as { alert?: { signature_id: number } }).alert?.signature_id === 4103022,
    )!;
    expect({ ...a22.rec, enrichment: undefined }).toEqual({
      ...JSON.parse(JSON.stringify(in22)),
      enrichment: undefined,
    });
    expect((a22.rec.enrichment as { whitelisted: boolean }).whitelisted).toBe(false);
    expect(a22.raw.key).toEqual(keyOf(in22));
    expect(a22.raw.headers['detect.source'].toString()).toBe(`packets/0/${activation.indexOf(in22)}`);
    expect(a22.raw.headers['content-type'].toString()).toBe('application/json');
    expect(ofTopic(topics.alerts).filter((o) => o.rec.event_type === 'dcerpc_session')).toHaveLength(2);

    const stats = service.stats();
    expect(stats.referenceRejected.whitelist).toBe(1);
    expect(stats.referenceApplied).toEqual({ assets: 1, whitelist: 2 });
    expect(stats.suppressed).toBe(1);
    expect(stats.duplicates).toBe(0);
    const metrics = registry.render();
    expect(metrics).toContain('wmi_enrich_reference_rejected_total{kind="whitelist"} 1');
    expect(metrics).toContain('wmi_enrich_reference_entries{kind="whitelist"} 1');
    expect(metrics).toContain(`wmi_enrich_records_in_total ${expected}`);
  });

  it('B: drops replayed alert ids, sends garbage to the DLQ and keeps going', async () => {
    const before = ofTopic(topics.alerts).length;
    const sealedAlerts = sealed.filter((r) => r.event_type === 'alert') as unknown as { alert_id: string }[];
    // The sealed session is the activation scenario's packets at privacy level: same connections, same alert ids.
    const seen = new Set([...alertIds(topics.alerts), ...alertIds(topics.suppressed)]);
    expect(sealedAlerts.length).toBe(3);
    for (const a of sealedAlerts) expect(seen.has(a.alert_id)).toBe(true);
    const nonAlerts = sealed.filter((r) => r.event_type !== 'alert');
    const key = keyOf(sealed[0]);
    const garbage = Buffer.concat([Buffer.from([0x93, 0x01, 0x02]), Buffer.from(' not json')]);
    await sink.send([
      { topic: topics.detections, key, value: garbage },
      ...sealed.map((r) => ({ topic: topics.detections, key, value: json(r) })),
    ]);
    await progress.until(
      () => ofTopic(topics.dlq).length === 1 && ofTopic(topics.alerts).length >= before + nonAlerts.length,
      'the DLQ record and the non-alert records of the replay',
      60_000,
      () => JSON.stringify(service.stats()),
    );
    // All in one partition and in order: anything forwarded for the duplicates would have arrived before these.
    expect(
      ofTopic(topics.alerts)
        .slice(before)
        .map((o) => o.rec.event_type),
    ).toEqual(nonAlerts.map((r) => r.event_type));
    expect(service.stats().duplicates).toBe(3);
    const dlq = ofTopic(topics.dlq)[0].raw;
    expect(dlq.value).toEqual(garbage);
    expect(dlq.key).toEqual(key);
    expect(dlq.headers[DLQ_HEADERS.reason].toString()).toMatch(/^value is not JSON/);
    expect(dlq.headers[DLQ_HEADERS.topic].toString()).toBe(topics.detections);
    expect(dlq.headers[DLQ_HEADERS.service].toString()).toBe('enrich');
    expect(dlq.headers[DLQ_HEADERS.partition].toString()).toMatch(/^\d+$/);
    expect(dlq.headers[DLQ_HEADERS.offset].toString()).toMatch(/^\d+$/);
  });

  it('C: a whitelist entry published while running suppresses a later alert without restart', async () => {
    const kAlerts = kerberos.filter((r) => r.event_type === 'alert') as unknown as {
      alert_id: string;
      alert: { signature_id: number };
    }[];
    const sid23 = kAlerts.find((a) => a.alert.signature_id === 4103023)!.alert_id;
    const sid01 = kAlerts.find((a) => a.alert.signature_id === 4103001)!.alert_id;
    const entry = { id: 'wl-hot', source: '10.0.0.10', destination: '10.0.0.20', sids: [4103023], comment: 'CHG-1' };
    await sink.send([{ topic: topics.refWhitelist, key: Buffer.from('wl-hot'), value: json(entry) }]);
    await progress.until(
      () => events.some((e) => e.type === 'reference' && e.outcome.id === 'wl-hot' && e.outcome.action === 'put'),
      'the whitelist update applied',
    );
    const supBefore = ofTopic(topics.suppressed).length;
    const alertsBefore = ofTopic(topics.alerts).length;
    await publish(kerberos);
    await progress.until(
      () =>
        ofTopic(topics.suppressed).length + ofTopic(topics.alerts).length >= supBefore + alertsBefore + kerberos.length,
      'the kerberos records enriched',
    );
    expect(alertIds(topics.suppressed).slice(-2).sort()).toEqual([sid01, sid23].sort());
    const hot = ofTopic(topics.suppressed).find((o) => o.rec.alert_id === sid23)!;
    expect((hot.rec.enrichment as { whitelist_rule: string }).whitelist_rule).toBe('wl-hot');
    const passed = kAlerts.filter((a) => a.alert_id !== sid23 && a.alert_id !== sid01).map((a) => a.alert_id);
    expect(alertIds(topics.alerts).slice(-passed.length).sort()).toEqual(passed.sort());

    // The reader groups of this process (reference topics, de-duplication window) exist while it runs …
    const readerGroups = (groups: string[]) =>
      groups.filter((g) => g.startsWith(`${groupId}-reference-`) || g.startsWith(`${groupId}-dedup-`));
    expect(readerGroups(await admin.listGroups())).toHaveLength(2);
    await service.stop();
    expect(service.ready).toBe(false);
    // … and are gone with it; the detections group, which holds the committed offsets, stays.
    const after = await admin.listGroups();
    expect(readerGroups(after)).toEqual([]);
    expect(after).toContain(groupId);
  });

  it('D: after a restart, a detect replay of alerts forwarded before it is still dropped', async () => {
    // A new instance, same group (it continues after the committed offsets), empty memory: its window is rebuilt
    // from the output topics before it consumes.
    const restarted = new EnrichService({
      client,
      groupId,
      topics,
      reference: new ReferenceData(),
      transactionalId: uniqueName('enr-tid'),
      logger: createLogger('enrich-test', { level: 'warn' }),
    });
    service = restarted;
    const seeded: number[] = [];
    restarted.on((e) => {
      if (e.type === 'dedup-seeded') seeded.push(e.ids);
      progress.notify();
    });
    await restarted.start();
    const forwarded = new Set([...alertIds(topics.alerts), ...alertIds(topics.suppressed)]);
    expect(seeded).toEqual([forwarded.size]);

    const before = ofTopic(topics.alerts).length + ofTopic(topics.suppressed).length;
    const replayed = kerberos; // every alert of it was forwarded in C
    const nonAlerts = replayed.filter((r) => r.event_type !== 'alert');
    await publish(replayed);
    await progress.until(
      () => ofTopic(topics.alerts).length + ofTopic(topics.suppressed).length >= before + nonAlerts.length,
      'the non-alert records of the replay',
    );
    expect(restarted.stats().duplicates).toBe(replayed.length - nonAlerts.length);
    expect(restarted.stats().alerts).toBe(nonAlerts.length);
    await restarted.stop();
  });
});
