// Renders the Helm chart (deploy/helm/wmi-detect) with helm and asserts the properties a reviewer would check by
// hand: probes, resources and hardening on every container, the `serve <component>` entrypoints, the environment and
// mounts of the runtime contract (docs/configuration.md), the replicas ≤ partitions guard, and that credentials
// only ever land in Secrets. Rendered manifests are also schema-validated with kubeconform when it is installed.
//
// helm and kubeconform come from scripts/helm/install.sh (.ci/run calls it through scripts/helm/validate.sh);
// without helm the suite is skipped with a warning.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, parseAllDocuments, parseDocument, type YAMLMap } from 'yaml';

const repoRoot = resolve(import.meta.dirname, '../..');
const toolsBin = process.env.WMI_TOOLS_BIN ?? join(homedir(), '.cache/wmi-detect/bin');

function findTool(name: string): string | undefined {
  for (const dir of [toolsBin, ...(process.env.PATH ?? '').split(delimiter)]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const helm = findTool('helm');
const kubeconform = findTool('kubeconform');
if (!helm) {
  console.warn(
    'helm-chart.test.ts: SKIPPED — helm is not installed. Run scripts/helm/install.sh (it builds helm and kubeconform ' +
      `into ${toolsBin}).`,
  );
}

// ---- minimal shapes of the rendered objects -------------------------------------------------------------------
interface Meta {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface ProjectedSource {
  secret?: { name: string; items?: { key: string; path: string }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
}
interface Volume {
  name: string;
  emptyDir?: unknown;
  projected?: { sources: ProjectedSource[] };
  secret?: unknown;
  configMap?: unknown;
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: Meta; spec: PodSpec };
    maxReplicaCount?: number;
    maxReplicas?: number;
    scaleTargetRef?: { kind: string; name: string };
    maxUnavailable?: number | string;
    [k: string]: unknown;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

// ---- rendering --------------------------------------------------------------------------------------------------
let work = '';
let chart = '';
let standinArgs: string[] = [];

function helmTemplate(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(helm!, ['template', 'wmi', chart, '--namespace', 'wmi-detect', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

function render(args: string[]): K8sObject[] {
  const r = helmTemplate(args);
  if (r.status !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: K8sObject[], kind: string, component: string) => {
  const found = objs.filter((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/component'] === component);
  expect(found, `${kind} of ${component}`).toHaveLength(1);
  return found[0];
};
const podSpecs = (objs: K8sObject[]) =>
  objs.filter((o) => o.spec?.template?.spec).map((o) => ({ obj: o, pod: o.spec!.template!.spec }));
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name);

/**
 * The file a container sees at `path`: which key of which Secret/ConfigMap ends up there. A projected source
 * without `items` maps every key of its object, so for those the rendered object must actually hold the key.
 */
function fileSource(objs: K8sObject[], pod: PodSpec, c: Container, path: string) {
  const mount = c.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
  if (!mount) return undefined;
  const file = path.slice(mount.mountPath.length + 1);
  const vol = pod.volumes?.find((v) => v.name === mount.name);
  for (const src of vol?.projected?.sources ?? []) {
    const ref = src.secret ?? src.configMap;
    const kind = src.secret ? 'Secret' : 'ConfigMap';
    if (!ref) continue;
    if (!ref.items) {
      const obj = objs.find((o) => o.kind === kind && o.metadata.name === ref.name);
      if (obj?.data && file in obj.data) return { kind, name: ref.name, key: file };
      continue;
    }
    const item = ref.items.find((i) => i.path === file);
    if (item) return { kind, name: ref.name, key: item.key };
  }
  return undefined;
}

const FAKE_PEM_KEY = '-----BEGIN PRIVATE KEY-----\nTUlJQ2Zha2VrZXlmb3J0ZXN0cw==\n-----END PRIVATE KEY-----\n';
const FAKE_PEM_CERT = '-----BEGIN CERTIFICATE-----\nTUlJQ2Zha2VjZXJ0Zm9ydGVzdHM=\n-----END CERTIFICATE-----\n';
const FAKE_PEM_CA = '-----BEGIN CERTIFICATE-----\nTUlJQ2Zha2VjYWZvcnRlc3Rz\n-----END CERTIFICATE-----\n';
const SASL_PASSWORD = 'ci-fake-password-not-a-secret'; // from ci/full-values.yaml
const SENSOR_TOKENS = {
  'sensor-dc-site-a': 'ci-fake-token-aaaaaaaaaaaaaaaaaaaaaaaa',
  'sensor-dc-site-b': 'ci-fake-token-bbbbbbbbbbbbbbbbbbbbbbbb',
}; // from ci/full-values.yaml

const variants: Record<string, K8sObject[]> = {};

describe.skipIf(!helm)('Helm chart deploy/helm/wmi-detect', () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'wmi-helm-'));
    const staged = spawnSync('bash', [join(repoRoot, 'scripts/helm/stage-chart.sh'), work], { encoding: 'utf8' });
    if (staged.status !== 0) throw new Error(`stage-chart.sh failed: ${staged.stderr}`);
    chart = staged.stdout.trim();
    if (!readdirSync(join(chart, 'files/rules')).some((f) => f.endsWith('.rules'))) {
      console.warn('helm-chart.test.ts: rules/*.rules missing in the repository; rendering with a stand-in rule file');
      const standin = join(work, 'standin.rules');
      writeFileSync(standin, 'alert tcp any any -> any 135 (msg:"stand-in"; sid:9999999; rev:1;)\n');
      standinArgs = ['--set-file', `rules.files.standin\\.rules=${standin}`];
    }
    const pem = (name: string, text: string) => {
      const p = join(work, name);
      writeFileSync(p, text);
      return p;
    };
    variants.defaults = render(standinArgs);
    variants.full = render(['-f', join(chart, 'ci/full-values.yaml')]);
    // Every Kafka credential inline (chart-managed Secret), on top of the full example.
    variants.inline = render([
      '-f',
      join(chart, 'ci/full-values.yaml'),
      '--set',
      'kafka.tls.caSecret.name=,kafka.tls.clientCert.existingSecret=',
      '--set-file',
      `kafka.tls.ca=${pem('ca.pem', FAKE_PEM_CA)}`,
      '--set-file',
      `kafka.tls.clientCert.cert=${pem('cert.pem', FAKE_PEM_CERT)}`,
      '--set-file',
      `kafka.tls.clientCert.key=${pem('key.pem', FAKE_PEM_KEY)}`,
    ]);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs one image as `serve ingest|detect|enrich`: ingest and enrich as Deployments, detect as a StatefulSet', () => {
    for (const name of ['defaults', 'full']) {
      const objs = variants[name];
      const expected = { ingest: 'Deployment', detect: 'StatefulSet', enrich: 'Deployment' } as const;
      for (const [component, kind] of Object.entries(expected)) {
        const w = one(objs, kind, component);
        const containers = w.spec!.template!.spec.containers;
        expect(containers).toHaveLength(1);
        expect(containers[0].args).toEqual(['serve', component]);
      }
      const images = new Set(podSpecs(objs).flatMap(({ pod }) => pod.containers.map((c) => c.image)));
      expect(images.size).toBe(1);
    }
    expect([...new Set(podSpecs(variants.defaults).flatMap(({ pod }) => pod.containers.map((c) => c.image)))]).toEqual([
      'wmi-detect:0.1.0',
    ]);
  });

  it('probes /healthz (startup, liveness) and /readyz (readiness) on the ops port of every long-running container', () => {
    for (const objs of Object.values(variants)) {
      const workloads = podSpecs(objs).filter(({ obj }) => obj.kind !== 'Job');
      expect(workloads.length).toBe(3);
      for (const { obj, pod } of workloads) {
        for (const c of pod.containers) {
          const where = `${obj.kind}/${obj.metadata.name}/${c.name}`;
          const ops = c.ports?.find((p) => p.name === 'ops');
          expect(ops?.containerPort, where).toBe(Number(env(c, 'OPS_PORT')?.value));
          expect(c.livenessProbe?.httpGet, where).toEqual({ path: '/healthz', port: 'ops' });
          expect(c.startupProbe?.httpGet, where).toEqual({ path: '/healthz', port: 'ops' });
          expect(c.readinessProbe?.httpGet, where).toEqual({ path: '/readyz', port: 'ops' });
        }
      }
    }
    // The one-shot topic Job is the only pod without probes; it runs `topics create` and exits.
    const job = one(variants.full, 'Job', 'topics');
    expect(job.spec!.template!.spec.containers[0].args!.slice(0, 2)).toEqual(['topics', 'create']);
  });

  it('sets CPU/memory requests and a memory limit on every container, the Job included', () => {
    for (const objs of Object.values(variants)) {
      for (const { obj, pod } of podSpecs(objs)) {
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const where = `${obj.kind}/${obj.metadata.name}/${c.name}`;
          expect(c.resources?.requests?.cpu, where).toBeDefined();
          expect(c.resources?.requests?.memory, where).toBeDefined();
          expect(c.resources?.limits?.memory, where).toBeDefined();
        }
      }
    }
  });

  it('runs every pod non-root with a read-only root filesystem, no capabilities, seccomp and a /tmp emptyDir', () => {
    for (const objs of Object.values(variants)) {
      for (const { obj, pod } of podSpecs(objs)) {
        const where = `${obj.kind}/${obj.metadata.name}`;
        expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
        expect(pod.securityContext?.runAsUser, where).not.toBe(0);
        expect(pod.securityContext?.seccompProfile?.type, where).toBe('RuntimeDefault');
        expect(pod.automountServiceAccountToken, where).toBe(false);
        const tmp = pod.volumes?.find((v) => v.name === 'tmp');
        expect(tmp?.emptyDir, where).toBeDefined();
        for (const c of pod.containers) {
          const sc = c.securityContext;
          expect(sc?.runAsNonRoot, where).toBe(true);
          expect(sc?.runAsUser, where).not.toBe(0);
          expect(sc?.readOnlyRootFilesystem, where).toBe(true);
          expect(sc?.allowPrivilegeEscalation, where).toBe(false);
          expect(sc?.privileged ?? false, where).toBe(false);
          expect(sc?.capabilities?.drop, where).toContain('ALL');
          expect(sc?.capabilities?.add ?? [], where).toEqual([]);
          expect(sc?.seccompProfile?.type, where).toBe('RuntimeDefault');
          expect(c.volumeMounts?.find((m) => m.mountPath === '/tmp')?.name, where).toBe('tmp');
          for (const m of c.volumeMounts ?? []) {
            if (m.mountPath !== '/tmp') expect(m.readOnly, `${where} ${m.mountPath}`).toBe(true);
          }
        }
      }
    }
  });

  it('refuses detect or enrich replicas, or autoscaler ceilings, above topics.packets.partitions', () => {
    const refused = (args: string[]) => {
      const r = helmTemplate([...standinArgs, ...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain('must not exceed topics.packets.partitions');
    };
    refused(['--set', 'topics.packets.partitions=3,detect.replicas=4,enrich.replicas=1']);
    refused(['--set', 'topics.packets.partitions=3,detect.replicas=1,enrich.replicas=4']);
    refused([
      '--set',
      'topics.packets.partitions=3,detect.replicas=1,enrich.replicas=1,detect.keda.enabled=true,detect.keda.maxReplicas=4',
    ]);
    refused([
      '--set',
      'topics.packets.partitions=3,detect.replicas=1,enrich.replicas=1,enrich.autoscaling.enabled=true,enrich.autoscaling.maxReplicas=4',
    ]);
    // Equal is fine, and the rendered StatefulSet carries exactly that count.
    const objs = render([...standinArgs, '--set', 'topics.packets.partitions=3,detect.replicas=3,enrich.replicas=3']);
    expect(one(objs, 'StatefulSet', 'detect').spec!.replicas).toBe(3);

    // With KEDA the ScaledObject, not the StatefulSet, owns the replica count, capped by the partitions.
    const full = variants.full;
    const sts = one(full, 'StatefulSet', 'detect');
    expect(sts.spec!.replicas).toBeUndefined();
    const so = one(full, 'ScaledObject', 'detect');
    expect(so.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name });
    expect(so.spec!.maxReplicaCount).toBeLessThanOrEqual(24); // topics.packets.partitions in ci/full-values.yaml
  });

  it('refuses ingest limits the service would refuse at start, naming the values to fix', () => {
    const inflight = helmTemplate([
      ...standinArgs,
      '--set',
      'ingest.maxBodyBytes=33554432,ingest.maxInflightBytes=16777216',
    ]);
    expect(inflight.status).not.toBe(0);
    expect(inflight.stderr).toContain('ingest.maxInflightBytes must be >= ingest.maxBodyBytes');
    const codec = helmTemplate([...standinArgs, '--set', 'ingest.compression=zstd']);
    expect(codec.status).not.toBe(0);
    expect(codec.stderr).toMatch(/compression/);
  });

  it('keeps every credential in Secrets: none in ConfigMaps, pod env or annotations', () => {
    const secretValues = [SASL_PASSWORD, ...Object.values(SENSOR_TOKENS), FAKE_PEM_KEY.trim(), FAKE_PEM_CERT.trim()];
    for (const [name, objs] of Object.entries(variants)) {
      for (const o of objs) {
        if (o.kind === 'Secret') continue;
        const text = JSON.stringify(o);
        for (const v of secretValues) expect(text.includes(v), `${name}: ${o.kind}/${o.metadata.name}`).toBe(false);
        expect(text, `${name}: ${o.kind}/${o.metadata.name}`).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|BEGIN CERTIFICATE/);
      }
      for (const cm of byKind(objs, 'ConfigMap')) {
        for (const key of Object.keys(cm.data ?? {})) {
          expect(key, `${name}: ConfigMap/${cm.metadata.name}`).not.toMatch(
            /token|password|secret|\.key$|\.pem$|\.crt$/i,
          );
        }
      }
    }
    // …and they are in the Secrets, where the pods read them from.
    const secrets = byKind(variants.inline, 'Secret');
    const decoded = secrets.flatMap((s) =>
      Object.entries(s.data ?? {}).map(([k, v]) => ({
        secret: s.metadata.name,
        key: k,
        value: Buffer.from(v, 'base64').toString('utf8'),
      })),
    );
    const find = (key: string) => decoded.find((d) => d.key === key && d.secret === 'wmi-prod-kafka');
    expect(find('sasl-password')?.value).toBe(SASL_PASSWORD);
    expect(find('ca.crt')?.value).toBe(FAKE_PEM_CA);
    expect(find('tls.crt')?.value).toBe(FAKE_PEM_CERT);
    expect(find('tls.key')?.value).toBe(FAKE_PEM_KEY);
    const tokens = decoded.find((d) => d.key === 'sensor-tokens' && d.secret === 'wmi-prod-ingest-tokens');
    expect(tokens?.value).toBe(
      'sensor-dc-site-a:ci-fake-token-aaaaaaaaaaaaaaaaaaaaaaaa\nsensor-dc-site-b:ci-fake-token-bbbbbbbbbbbbbbbbbbbbbbbb\n',
    );
  });

  it('points every *_FILE variable at a mounted key of the right Secret or ConfigMap', () => {
    const inline = variants.inline;
    const ingest = one(inline, 'Deployment', 'ingest').spec!.template!.spec;
    const detect = one(inline, 'StatefulSet', 'detect').spec!.template!.spec;
    const enrich = one(inline, 'Deployment', 'enrich').spec!.template!.spec;
    const source = (pod: PodSpec, variable: string) => {
      const c = pod.containers[0];
      const path = env(c, variable)?.value;
      expect(path, variable).toBeDefined();
      return fileSource(inline, pod, c, path!);
    };
    for (const pod of [ingest, detect, enrich]) {
      expect(source(pod, 'KAFKA_SSL_CA_FILE')).toEqual({ kind: 'Secret', name: 'wmi-prod-kafka', key: 'ca.crt' });
      expect(source(pod, 'KAFKA_SSL_CERT_FILE')).toEqual({ kind: 'Secret', name: 'wmi-prod-kafka', key: 'tls.crt' });
      expect(source(pod, 'KAFKA_SSL_KEY_FILE')).toEqual({ kind: 'Secret', name: 'wmi-prod-kafka', key: 'tls.key' });
      expect(source(pod, 'KAFKA_SASL_PASSWORD_FILE')).toEqual({
        kind: 'Secret',
        name: 'wmi-prod-kafka',
        key: 'sasl-password',
      });
      expect(env(pod.containers[0], 'KAFKA_SSL')?.value).toBe('true');
      expect(env(pod.containers[0], 'KAFKA_SASL_MECHANISM')?.value).toBe('scram-sha-512');
    }
    expect(source(ingest, 'INGEST_TOKENS_FILE')).toEqual({
      kind: 'Secret',
      name: 'wmi-prod-ingest-tokens',
      key: 'sensor-tokens',
    });
    expect(source(ingest, 'INGEST_TLS_CERT_FILE')).toEqual({ kind: 'Secret', name: 'wmi-ingest-tls', key: 'tls.crt' });
    expect(source(ingest, 'INGEST_TLS_KEY_FILE')).toEqual({ kind: 'Secret', name: 'wmi-ingest-tls', key: 'tls.key' });
    expect(source(ingest, 'INGEST_TLS_CLIENT_CA_FILE')).toEqual({
      kind: 'Secret',
      name: 'wmi-sensor-ca',
      key: 'ca.crt',
    });
    expect(source(detect, 'RULE_VARS_FILE')).toEqual({
      kind: 'ConfigMap',
      name: 'wmi-prod-rule-vars',
      key: 'variables.conf',
    });
    const ruleFiles = env(detect.containers[0], 'RULES_FILES')!.value!.split(',');
    expect(ruleFiles).toContain('/etc/wmi-detect/rules/local.rules');
    const rulesCm = inline.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'wmi-prod-rules')!;
    for (const f of ruleFiles) {
      const src = fileSource(inline, detect, detect.containers[0], f);
      expect(src, f).toEqual({ kind: 'ConfigMap', name: 'wmi-prod-rules', key: f.split('/').pop() });
      expect(rulesCm.data?.[src!.key], f).toBeTruthy();
    }
    expect(source(enrich, 'ASSETS_FILE')).toEqual({ kind: 'ConfigMap', name: 'wmi-prod-assets', key: 'assets.json' });
    expect(source(enrich, 'WHITELIST_FILE')).toEqual({
      kind: 'ConfigMap',
      name: 'wmi-prod-whitelist',
      key: 'whitelist.json',
    });
    // The reference ConfigMaps hold the values as JSON arrays the enrich service loads.
    const assets = JSON.parse(inline.find((o) => o.metadata.name === 'wmi-prod-assets')!.data!['assets.json']);
    expect(assets.map((a: { id: string }) => a.id)).toEqual(['dc01', 'servers']);
    const vars = inline.find((o) => o.metadata.name === 'wmi-prod-rule-vars')!.data!['variables.conf'];
    expect(vars).toContain('ipvar legitimate_sources [10.9.0.4,10.5.0.0/24]\n');
    expect(vars).toContain('portvar DCERPC_PORTS [135,49152:65535]\n');
  });

  it('gives every component the common Kafka/topic/ops environment with the documented defaults', () => {
    for (const { obj, pod } of podSpecs(variants.defaults)) {
      const c = pod.containers[0];
      const where = `${obj.kind}/${obj.metadata.name}`;
      expect(env(c, 'KAFKA_BROKERS')?.value, where).toBe('wmi-kafka-kafka-bootstrap.kafka.svc:9092');
      expect(env(c, 'KAFKA_SSL')?.value, where).toBe('false');
      expect(env(c, 'KAFKA_SSL_CA_FILE'), where).toBeUndefined();
      expect(env(c, 'OPS_PORT')?.value, where).toBe('9464');
      expect(env(c, 'LOG_LEVEL')?.value, where).toBe('info');
      expect(env(c, 'OTEL_SDK_DISABLED')?.value, where).toBe('true');
      const topics = {
        TOPIC_PACKETS: 'wmi.packets.v1',
        TOPIC_DETECTIONS: 'wmi.detections.v1',
        TOPIC_DLQ: 'wmi.dlq.v1',
        TOPIC_ALERTS: 'wmi.alerts.v1',
        TOPIC_SUPPRESSED: 'wmi.alerts.suppressed.v1',
        TOPIC_REF_ASSETS: 'wmi.reference.assets',
        TOPIC_REF_WHITELIST: 'wmi.reference.whitelist',
        TOPIC_DETECT_STATE: 'wmi.detect.state.v1',
      };
      for (const [k, v] of Object.entries(topics)) expect(env(c, k)?.value, `${where} ${k}`).toBe(v);
    }
    const detect = one(variants.defaults, 'StatefulSet', 'detect').spec!.template!.spec.containers[0];
    expect(env(detect, 'DETECT_GROUP_ID')?.value).toBe('wmi-wmi-detect-detect');
    expect(env(detect, 'DETECT_COMMIT_INTERVAL_MS')?.value).toBe('200');
    // The pod name is the stable instance id (transactional.id / group.instance.id).
    expect(env(detect, 'DETECT_INSTANCE_ID')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    const ingest = one(variants.defaults, 'Deployment', 'ingest').spec!.template!.spec.containers[0];
    expect(env(ingest, 'INGEST_PORT')?.value).toBe('8080');
    expect(env(ingest, 'INGEST_PREFILTER')?.value).toBe('false');
    expect(env(ingest, 'INGEST_COMPRESSION')?.value).toBe('gzip');
    expect(env(ingest, 'INGEST_MAX_BODY_BYTES')?.value).toBe('16777216');
    expect(env(ingest, 'INGEST_MAX_INFLIGHT_BYTES')?.value).toBe('67108864');
    expect(env(ingest, 'INGEST_TLS_CERT_FILE')).toBeUndefined();
  });

  it('labels everything with app.kubernetes.io/* and selects pods by name, instance and component', () => {
    for (const objs of Object.values(variants)) {
      for (const o of objs) {
        const l = o.metadata.labels ?? {};
        expect(l['app.kubernetes.io/name'], `${o.kind}/${o.metadata.name}`).toBe('wmi-detect');
        expect(l['app.kubernetes.io/instance']).toBe('wmi');
        expect(l['app.kubernetes.io/managed-by']).toBe('Helm');
        expect(l['app.kubernetes.io/part-of']).toBe('wmi-detect');
        expect(l['helm.sh/chart']).toMatch(/^wmi-detect-\d+\.\d+\.\d+/);
      }
      for (const { obj } of podSpecs(objs)) {
        const selector = obj.spec!.selector?.matchLabels ?? {};
        const podLabels = obj.spec!.template!.metadata!.labels!;
        if (obj.kind !== 'Job') {
          expect(Object.keys(selector).sort()).toEqual([
            'app.kubernetes.io/component',
            'app.kubernetes.io/instance',
            'app.kubernetes.io/name',
          ]);
        }
        for (const [k, v] of Object.entries(selector)) expect(podLabels[k]).toBe(v);
      }
      for (const component of ['ingest', 'detect', 'enrich']) {
        const pdb = one(objs, 'PodDisruptionBudget', component);
        expect(pdb.spec!.maxUnavailable).toBe(1);
      }
    }
  });

  it.skipIf(!kubeconform)(
    'validates every rendered manifest against the committed strict schemas (kubeconform)',
    () => {
      for (const args of [standinArgs, ['-f', join(chart, 'ci/full-values.yaml')]]) {
        const rendered = helmTemplate(args);
        expect(rendered.status).toBe(0);
        const r = spawnSync(
          kubeconform!,
          [
            '-strict',
            '-summary',
            '-schema-location',
            join(repoRoot, 'deploy/helm/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json'),
          ],
          { input: rendered.stdout, encoding: 'utf8' },
        );
        expect(r.stdout + r.stderr).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
        expect(r.status).toBe(0);
      }
    },
  );
});

if (helm && !kubeconform) {
  console.warn('helm-chart.test.ts: kubeconform not installed; schema validation is left to scripts/helm/validate.sh');
}

// values.yaml is the chart's user documentation: every key the schema defines must carry a comment right above it,
// and the schema must know every key (it rejects unknown ones, so a default it does not know would break installs).
describe('values.yaml and values.schema.json', () => {
  const chartDir = join(repoRoot, 'deploy/helm/wmi-detect');
  const text = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
  interface SchemaNode {
    $ref?: string;
    properties?: Record<string, SchemaNode>;
    additionalProperties?: boolean | SchemaNode;
  }
  const deref = (n: SchemaNode): SchemaNode =>
    n.$ref ? deref(schema.definitions[n.$ref.replace('#/definitions/', '')]) : n;

  it('documents every key the schema defines with a comment, and the schema defines every key', () => {
    const lines = text.split('\n');
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length - 1;
    const undocumented: string[] = [];
    const unknown: string[] = [];
    const walk = (map: YAMLMap, node: SchemaNode, path: string) => {
      for (const pair of map.items) {
        const key = String((pair.key as { value: unknown }).value);
        const keyPath = path ? `${path}.${key}` : key;
        const child = node.properties?.[key];
        if (!child) {
          if (node.additionalProperties === false) unknown.push(keyPath);
          continue;
        }
        let i = lineOf((pair.key as { range: [number, number, number] }).range[0]) - 1;
        while (i >= 0 && lines[i].trim() === '') i--;
        if (i < 0 || !lines[i].trim().startsWith('#')) undocumented.push(keyPath);
        const sub = deref(child);
        // `resources` is a Kubernetes ResourceRequirements, documented by Kubernetes: its comment is on the key.
        if (isMap(pair.value) && sub.properties && key !== 'resources') walk(pair.value, sub, keyPath);
      }
    };
    const doc = parseDocument(text);
    walk(doc.contents as YAMLMap, schema, '');
    expect(undocumented).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('is strict: unknown keys are refused at every level the chart defines', () => {
    const open: string[] = [];
    const visit = (n: SchemaNode, path: string, seen: Set<SchemaNode>) => {
      const node = deref(n);
      if (seen.has(node)) return;
      seen.add(node);
      if (node.properties) {
        if (node.additionalProperties !== false) open.push(path || '(root)');
        for (const [k, v] of Object.entries(node.properties)) visit(v, path ? `${path}.${k}` : k, seen);
      }
    };
    visit(schema, '', new Set());
    expect(open).toEqual([]);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});
