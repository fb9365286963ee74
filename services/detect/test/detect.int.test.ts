/**
 * `wmidetect serve detect` against the real broker (issue 5, component 3):
 *
 *   (a) generated captures cut into PacketRecords keyed by host pair → the detections are the offline engine's
 *       records, alert for alert (same alert_id, sid, identity, WMI command line, session id), keyed by host pair
 *   (b) a worker dies between the activation connection and the dynamic-port connection holding processed but
 *       uncommitted work; a new worker replays, and every offline alert arrives, duplicates only with equal ids
 *   (c) a second member joins mid-stream (rebalance): nothing is lost
 *   (d) garbage records → DLQ with reason and source coordinates; the partition goes on with the next record
 *   (e) readiness: false at assignment, true only once every assigned partition is restored
 *   (f) one capture split across four sensors by time (slice i goes to sensor i mod 4; the sensors' records
 *       interleave on the topic): the same alerts as the capture in one piece
 *   (g) more members than partitions: the member left without a partition is ready (idle), the owner works
 *   (h) a long commit interval: processed work waits in memory, uncommitted; a graceful stop commits all of it
 *   (i) positions in the layout of an earlier release (two groups) are read, replayed from, and rewritten
 *
 * Topics are created per test with unique names (auto-create is off). Waiting is event-driven: the service's
 * afterCommit hook and a sentinel on every output partition tell when everything is in.
 */
import { HostPairKey, PacketDecoder, type RawFrame } from '@wmi-detect/engine';
import { type KafkaRecord, partitionForKey } from '@wmi-detect/kafka';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from '../../../test/kafka/brokers.js';
import { DETECTION_HEADERS, DLQ_HEADERS } from '../src/output.js';
import { decodePositions } from '../src/positions.js';
import type { ShardEvent } from '../src/service.js';
import { comparable, Harness, httpStatus, mergeByTime, parseDetection } from './harness.js';
import { cutIntoRecords, offlineRecords, renameHost, scenarioFrames } from './helpers.js';

type Rec = Record<string, unknown>;

/** Offline reference: every record of an uninterrupted engine run per capture (host pairs are disjoint). */
function reference(captures: RawFrame[][]): { alerts: Map<string, Rec>; sessions: Rec[] } {
  const alerts = new Map<string, Rec>();
  const sessions: Rec[] = [];
  for (const frames of captures) {
    for (const r of offlineRecords(frames) as unknown as Rec[]) {
      if (r.event_type === 'alert') alerts.set(r.alert_id as string, comparable(r));
      else if (r.event_type === 'dcerpc_session') sessions.push(comparable(r));
    }
  }
  return { alerts, sessions };
}

const byId = (a: Rec, b: Rec) => String(a.alert_id).localeCompare(String(b.alert_id));

/** Every offline alert is present; every produced alert is an offline one, identical to it (so duplicates are too). */
function expectAllAlerts(detections: KafkaRecord[], ref: Map<string, Rec>): Map<string, number> {
  const count = new Map<string, number>();
  for (const d of detections) {
    const r = parseDetection(d);
    if (r.event_type !== 'alert') continue;
    const id = r.alert_id as string;
    expect(ref.has(id), `alert ${id} (sid ${(r.alert as Rec).signature_id}) is not in the offline run`).toBe(true);
    expect(comparable(r)).toEqual(ref.get(id));
    count.set(id, (count.get(id) ?? 0) + 1);
  }
  expect([...count.keys()].sort()).toEqual([...ref.keys()].sort());
  return count;
}

function dynamicPortFrame(frames: readonly RawFrame[]): number {
  const d = new PacketDecoder();
  for (let i = 0; i < frames.length; i++) {
    const p = d.decode(frames[i]);
    if (typeof p !== 'string' && p.proto === 6 && p.srcPort !== 135 && p.dstPort !== 135) return i;
  }
  throw new Error('capture has no connection besides port 135');
}

describe('detect service on the real broker', () => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    while (harnesses.length > 0) await harnesses.pop()?.tearDown();
  });
  const harness = async (partitions: number) => {
    const h = new Harness(kafkaBrokers(), partitions);
    harnesses.push(h);
    await h.setUp();
    return h;
  };

  it('(a) detections equal the offline engine run over the same captures, keyed by host pair', async () => {
    const h = await harness(3);
    const captures = await Promise.all(['wmi-activation-ok', 'wmi-activation-denied'].map(scenarioFrames));
    const ref = reference(captures);
    expect(ref.alerts.size).toBeGreaterThan(1);
    const cut = cutIntoRecords(mergeByTime(captures), 'sensor-a', 3);
    expect(new Set(cut.map((c) => partitionForKey(c.key, 3))).size).toBe(2); // two host pairs, two partitions

    const w = await h.worker('detect-a');
    await h.produce(cut);
    await h.untilCommittedToEnd('the worker committed every packet record');
    expect(w.ready()).toBe(true);
    expect(await httpStatus(w.opsPort, '/readyz')).toBe(200);
    expect(await httpStatus(w.opsPort, '/healthz')).toBe(200);

    const { detections, dlq } = await h.readOutputs();
    expect(dlq).toEqual([]);
    const counts = expectAllAlerts(detections, ref.alerts);
    expect([...counts.values()].every((n) => n === 1)).toBe(true); // no crash, no duplicate
    const sessions = detections.map(parseDetection).filter((r) => r.event_type === 'dcerpc_session');
    expect(sessions.map(comparable)).toEqual(expect.arrayContaining(ref.sessions));
    expect(sessions).toHaveLength(ref.sessions.length);

    for (const d of detections) {
      const r = parseDetection(d);
      expect(r.capture).toBe('sensor-a');
      expect(d.headers[DETECTION_HEADERS.eventType]?.toString()).toBe(r.event_type);
      expect(d.headers[DETECTION_HEADERS.contentType]?.toString()).toBe('application/json');
      if (r.event_type === 'alert') expect(d.headers[DETECTION_HEADERS.alertId]?.toString()).toBe(r.alert_id);
      const key = HostPairKey.of(r.src_ip as string, r.dest_ip as string);
      expect(d.key?.equals(Buffer.from(key?.bytes ?? []))).toBe(true);
      expect(d.partition).toBe(partitionForKey(d.key as Buffer, 3));
    }
    const metrics = await fetch(`http://127.0.0.1:${w.opsPort}/metrics`).then((r) => r.text());
    const sids = new Set([...ref.alerts.values()].map((a) => (a.alert as Rec).signature_id));
    for (const sid of sids) expect(metrics).toMatch(new RegExp(`wmi_detect_alerts_total\\{sid="${sid}"\\} \\d+`));
    expect(metrics).toMatch(/wmi_detect_records_total\{partition="\d"\} \d+/);
  });

  it('(f) one capture split across four sensors by time, their records interleaved: the same alerts', async () => {
    const h = await harness(2);
    const captures = await Promise.all(['wmi-activation-ok', 'wmi-activation-denied'].map(scenarioFrames));
    const frames = mergeByTime(captures);
    const ref = reference(captures);
    // 2 ms slices of packet time: every connection of these sessions spans several slices, hence several sensors
    const sliceUs = 2000;
    const t0 = frames[0].tsUs;
    const slices: RawFrame[][] = [];
    for (const f of frames) {
      const i = Math.floor((f.tsUs - t0) / sliceUs);
      while (slices.length <= i) slices.push([]);
      slices[i].push(f);
    }
    const nextSeq = [0, 0, 0, 0];
    const cut = slices.flatMap((slice, i) => {
      const s = i % 4;
      const records = cutIntoRecords(slice, `sensor-${s}`, 3, nextSeq[s]);
      nextSeq[s] += records.length;
      return records;
    });
    expect(nextSeq.every((n) => n > 0)).toBe(true); // all four sensors carried part of it

    await h.worker('detect-f');
    await h.produce(cut);
    await h.untilCommittedToEnd('the worker committed every packet record');
    const { detections, dlq } = await h.readOutputs();
    expect(dlq).toEqual([]);
    const counts = expectAllAlerts(detections, ref.alerts);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    // each alert names the sensor whose packet completed the PDU it fired on
    const sensors = new Set(detections.map(parseDetection).map((r) => r.capture));
    expect(sensors.size).toBeGreaterThan(1);
  });

  for (const mode of ['before its transaction', 'inside an open transaction it abandons'] as const) {
    it(`(b, e) a worker killed mid-session with uncommitted work (${mode}): the next one replays, every alert arrives once, ready only once restored`, async () => {
      const inTxn = mode !== 'before its transaction';
      const h = await harness(2);
      const frames = await scenarioFrames('wmi-activation-ok');
      const ref = reference([frames]);
      const cut = cutIntoRecords(frames, 'sensor-b', 2);
      expect(new Set(cut.map((c) => partitionForKey(c.key, 2)))).toEqual(new Set([0])); // offsets = record indices
      const dyn = dynamicPortFrame(frames);
      const split = cut.findIndex((c) => c.firstFrame + c.frames > dyn);
      expect(split).toBeGreaterThan(2);

      // Worker A: the activation connection, committed.
      let gate: (() => void) | null = null;
      let held = 0;
      let holdCommits = false;
      const hold = () => {
        if (!holdCommits) return;
        held++;
        h.progress.notify();
        return new Promise<void>((resolve) => {
          gate = resolve;
        });
      };
      const a = await h.worker('detect-b-0', { hooks: inTxn ? { beforeTxnCommit: hold } : { beforeCommit: hold } });
      await h.produce(cut.slice(0, split));
      await h.untilCommittedToEnd('A committed the activation connection');
      // The dynamic-port connection begins; A processes it but dies before committing.
      holdCommits = true;
      await h.produce(cut.slice(split, split + 2));
      await h.progress.until(() => held > 0, 'A processed the first records of the dynamic-port connection');
      // with inTxn, A's transaction holds the dynamic-port connection's first alerts, open on the broker when A dies
      const killed = a.kill({ abandonTransactions: inTxn });
      (gate as (() => void) | null)?.();
      await killed;
      const committed = await h.admin.fetchCommitted(h.groupId, h.topics.packets);
      const pos = decodePositions(committed.find((m) => m.partition === 0));
      if (pos.kind !== 'positions') throw new Error(`A's positions are not in the current layout: ${pos.kind}`);
      expect(pos.positions.emittedNext).toBe(BigInt(split)); // the held work never committed
      expect(pos.positions.replayFrom < BigInt(split)).toBe(true); // the session holds the replay start back

      // Worker B: the rest of the capture arrives; B replays from A's low-water mark.
      await h.produce(cut.slice(split + 2));
      const events: { event: ShardEvent; ready: boolean }[] = [];
      const b = await h.worker('detect-b-1', { events });
      await h.untilCommittedToEnd('B committed every packet record');
      expect(b.ready()).toBe(true);
      expect(await httpStatus(b.opsPort, '/readyz')).toBe(200);

      const { detections } = await h.readOutputs();
      const counts = expectAllAlerts(detections, ref.alerts);
      // not even a duplicate: the uncommitted copy was aborted, the replay suppressed what A had committed
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      // The session's alerts on the dynamic-port connection carry the activation's session id (by equality above).
      const tied = [...ref.alerts.values()].filter((r) => r.session_id !== undefined && r.dest_port !== 135);
      expect(tied.length).toBeGreaterThan(0);
      for (const r of tied) expect(counts.get(r.alert_id as string)).toBeGreaterThanOrEqual(1);

      // (e) readiness flips only after assignment + restore, and B did replay.
      expect(b.metrics.replayRecords.get({ partition: 0 })).toBeGreaterThan(0);
      expect(events.filter((e) => e.event.type === 'assigned').every((e) => !e.ready)).toBe(true);
      const firstReady = events.findIndex((e) => e.ready);
      expect(firstReady).toBeGreaterThanOrEqual(0);
      expect(events[firstReady].event.type).toBe('restored');
      const restoredP0 = events.find((e) => e.event.type === 'restored' && e.event.partition === 0);
      expect(restoredP0?.event).toMatchObject({ type: 'restored', partition: 0, replayed: expect.any(Number) });
      expect((restoredP0?.event as { replayed?: number } | undefined)?.replayed ?? 0).toBeGreaterThan(0);
    });
  }

  it('(c) a second member joining mid-stream (rebalance) loses nothing', async () => {
    const partitions = 4;
    const h = await harness(partitions);
    // One WMI session per host pair, enough host pairs that every partition has one: whichever partitions the
    // rebalance gives the new member, it takes over live sessions.
    const base = await scenarioFrames('wmi-activation-ok');
    const server = HostPairKey.of('10.0.0.10', '10.0.0.20');
    expect(server).not.toBeNull();
    const captures: RawFrame[][] = [];
    const covered = new Set<number>();
    for (let x = 1; covered.size < partitions && x < 64; x++) {
      const key = HostPairKey.of(`10.0.1.${x}`, '10.0.0.20');
      const p = partitionForKey(key?.bytes ?? new Uint8Array(0), partitions);
      if (covered.has(p)) continue;
      covered.add(p);
      captures.push(renameHost(base, '10.0.0.10', `10.0.1.${x}`));
    }
    expect(covered.size).toBe(partitions);
    const ref = reference(captures);
    expect(ref.alerts.size).toBe(captures.length * reference([base]).alerts.size);
    const cut = cutIntoRecords(mergeByTime(captures), 'sensor-c', 2);
    const half = Math.floor(cut.length / 2);

    const eventsA: { event: ShardEvent; ready: boolean }[] = [];
    const aCommits = new Set<number>();
    const bCommits = new Set<number>();
    await h.worker('detect-c-0', { events: eventsA, hooks: { afterCommit: (p) => aCommits.add(p) } });
    await h.produce(cut.slice(0, half));
    await h.untilCommittedToEnd('A committed the first half');
    expect(aCommits.size).toBe(partitions);

    const b = await h.worker('detect-c-1', { hooks: { afterCommit: (p) => bCommits.add(p) } });
    await h.progress.until(
      () => eventsA.some((e) => e.event.type === 'revoked') && b.ready(),
      'the rebalance moved partitions from A to B and B restored them',
    );
    await h.produce(cut.slice(half));
    await h.untilCommittedToEnd('both members committed every packet record');

    const { detections } = await h.readOutputs();
    expectAllAlerts(detections, ref.alerts);
    // partitions with live sessions really moved: B committed partitions A had been processing
    const revoked = eventsA.filter((e) => e.event.type === 'revoked').map((e) => e.event.partition);
    expect(revoked.length).toBeGreaterThan(0);
    for (const p of revoked) expect(bCommits.has(p), `partition ${p} moved to B`).toBe(true);
    expect(b.metrics.replayRecords.get({ partition: revoked[0] })).toBeGreaterThan(0);
  });

  it('(g) a member the group gives no partition is ready and idle; the owner does the work', async () => {
    const h = await harness(1);
    const frames = await scenarioFrames('wmi-activation-ok');
    const ref = reference([frames]);
    const joinsA: { partitions: readonly number[]; ready: boolean }[] = [];
    const joinsB: { partitions: readonly number[]; ready: boolean }[] = [];
    const a = await h.worker('detect-g-0', { joins: joinsA });
    await h.progress.until(() => joinsA.length > 0 && a.ready(), 'A joined alone and owns the partition');
    expect(joinsA.at(-1)?.partitions).toEqual([0]);
    const b = await h.worker('detect-g-1', { joins: joinsB });
    // Settled: after B's join, one member holds partition 0 and the other nothing.
    const settled = () => {
      const la = joinsA.at(-1)?.partitions ?? [];
      const lb = joinsB.at(-1)?.partitions;
      return lb !== undefined && joinsA.length > 1 && [...la, ...lb].join(',') === '0';
    };
    await h.progress.until(() => settled() && a.ready() && b.ready(), 'the rebalance settled and both are ready');
    const [owner, idle] = joinsA.at(-1)?.partitions.length === 1 ? [a, b] : [b, a];
    expect(idle.metrics.shards.get()).toBe(0);
    expect(await httpStatus(idle.opsPort, '/readyz')).toBe(200);

    await h.produce(cutIntoRecords(frames, 'sensor-g', 1));
    await h.untilCommittedToEnd('the owner committed every packet record');
    const { detections } = await h.readOutputs();
    const counts = expectAllAlerts(detections, ref.alerts);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(owner.metrics.records.get({ partition: 0 })).toBeGreaterThan(0);
    expect(idle.metrics.records.get({ partition: 0 })).toBe(0);
    expect(idle.ready()).toBe(true);
  });

  it('(h) batches wait for the commit interval in memory; a graceful stop commits them, every alert once', async () => {
    const h = await harness(1);
    const frames = await scenarioFrames('wmi-activation-ok');
    const ref = reference([frames]);
    const cut = cutIntoRecords(frames, 'sensor-h', 1);
    let processed = 0;
    let waiting = 0;
    const w = await h.worker('detect-h', {
      config: { commitIntervalMs: 60_000 },
      hooks: {
        afterProcess: (_p, info) => {
          processed += info.records;
          waiting = info.pendingOutputs;
          expect(info.committingNow).toBe(false);
        },
      },
    });
    await h.produce(cut);
    await h.progress.until(() => processed === cut.length, 'the worker processed every packet record');
    expect(waiting).toBeGreaterThanOrEqual(ref.alerts.size);
    // Nothing committed yet: neither the positions nor (read_committed) any output.
    expect(h.committed.size).toBe(0);
    const committed = await h.admin.fetchCommitted(h.groupId, h.topics.packets);
    expect(committed.map((m) => decodePositions(m).kind)).toEqual(['none']);

    await w.stop();
    expect(h.committed.get(0)).toBe(BigInt(cut.length));
    const { detections } = await h.readOutputs();
    const counts = expectAllAlerts(detections, ref.alerts);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('(i) positions committed by an earlier release (group = replay start, `.emitted` = mark) are restored from', async () => {
    const h = await harness(1);
    const frames = await scenarioFrames('wmi-activation-ok');
    const ref = reference([frames]);
    const cut = cutIntoRecords(frames, 'sensor-i', 1);
    const dyn = dynamicPortFrame(frames);
    const split = cut.findIndex((c) => c.firstFrame + c.frames > dyn);
    expect(split).toBeGreaterThan(2);
    await h.produce(cut);
    // What the earlier release left: it had emitted everything before `split` (the activation connection) and its
    // state went back to record 0. Two groups, plain offsets, one transaction.
    const old = h.client.transactionalSink({ transactionalId: uniqueName('earlier-release') });
    await old.connect();
    const txn = await old.begin();
    await txn.sendOffsets(h.groupId, [{ topic: h.topics.packets, partition: 0, offset: '0' }]);
    await txn.sendOffsets(`${h.groupId}.emitted`, [{ topic: h.topics.packets, partition: 0, offset: String(split) }]);
    await txn.commit();
    await old.close();

    const events: { event: ShardEvent; ready: boolean }[] = [];
    await h.worker('detect-i', { events });
    await h.untilCommittedToEnd('the worker committed every packet record');
    // It replayed [0, split) without output and produced the rest: the dynamic-port connection's alerts, tied to
    // the activation it rebuilt by replay (same session ids as the offline run), and not the activation's own.
    expect(events.find((e) => e.event.type === 'restored')?.event).toMatchObject({ replayed: split });
    const { detections } = await h.readOutputs();
    const produced = detections.map(parseDetection).filter((r) => r.event_type === 'alert');
    const dynamicAlerts = [...ref.alerts.values()].filter((r) => r.dest_port !== 135);
    expect(dynamicAlerts.length).toBeGreaterThan(0);
    expect(produced.map(comparable).sort(byId)).toEqual(dynamicAlerts.sort(byId));
    // … and wrote its positions in the current layout.
    const pos = decodePositions((await h.admin.fetchCommitted(h.groupId, h.topics.packets))[0]);
    expect(pos).toMatchObject({ kind: 'positions', positions: { emittedNext: BigInt(cut.length) } });
  });

  it('(d) undecodable records go to the DLQ with reason and coordinates; the partition is not blocked', async () => {
    const h = await harness(1);
    const frames = await scenarioFrames('wmi-activation-ok');
    const ref = reference([frames]);
    const cut = cutIntoRecords(frames, 'sensor-d', 3);
    const key = cut[0].key;
    const garbage: { key: Buffer; value: Buffer | null }[] = [
      { key, value: Buffer.from('this is not msgpack \u00ff') },
      { key, value: Buffer.from([0x81, 0xa1, 0x76, 0x07]) }, // {v: 7}
      {
        key,
        value: Buffer.from([
          0x85, 0xa1, 0x76, 0x01, 0xa6, 0x73, 0x65, 0x6e, 0x73, 0x6f, 0x72, 0xa1, 0x73, 0xa3, 0x73, 0x65, 0x71, 0x00,
          0xa4, 0x70, 0x61, 0x72, 0x74, 0x00, 0xa6, 0x66, 0x72, 0x61, 0x6d, 0x65, 0x73, 0xc0,
        ]),
      }, // frames: nil
    ];
    const input: { key: Buffer; value: Buffer | null; garbage?: boolean }[] = [];
    cut.forEach((c, i) => {
      input.push(c);
      if (i === 1 || i === 4 || i === 7)
        input.push({ ...(garbage.shift() as { key: Buffer; value: Buffer }), garbage: true });
    });
    const badOffsets = input.flatMap((r, i) => (r.garbage ? [String(i)] : []));
    expect(badOffsets).toHaveLength(3);

    const w = await h.worker('detect-d');
    await h.produce(input);
    await h.untilCommittedToEnd('the worker committed past every record, garbage included');
    const { detections, dlq } = await h.readOutputs();
    expectAllAlerts(detections, ref.alerts);
    expect(dlq.map((d) => d.headers[DLQ_HEADERS.offset]?.toString()).sort()).toEqual([...badOffsets].sort());
    for (const d of dlq) {
      expect(d.headers[DLQ_HEADERS.topic]?.toString()).toBe(h.topics.packets);
      expect(d.headers[DLQ_HEADERS.partition]?.toString()).toBe('0');
      expect(d.headers[DLQ_HEADERS.service]?.toString()).toBe('detect');
      expect(d.key?.equals(key)).toBe(true);
    }
    const byOffset = new Map(dlq.map((d) => [d.headers[DLQ_HEADERS.offset]?.toString(), d]));
    const reason = (i: number) => byOffset.get(badOffsets[i])?.headers[DLQ_HEADERS.reason]?.toString();
    expect(reason(0)).toMatch(/^PacketRecord: value: not msgpack/);
    expect(reason(1)).toBe('PacketRecord: v: unsupported version 7; this build reads version 1');
    expect(reason(2)).toBe('PacketRecord: frames: expected an array of frames');
    expect(byOffset.get(badOffsets[2])?.headers[DLQ_HEADERS.field]?.toString()).toBe('frames');
    expect(byOffset.get(badOffsets[0])?.value?.equals(Buffer.from('this is not msgpack \u00ff'))).toBe(true);
    expect(w.metrics.dlq.get({ field: 'value' })).toBe(1);
  });
});
