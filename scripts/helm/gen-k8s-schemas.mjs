#!/usr/bin/env node
// Generates the JSON schemas that kubeconform validates the rendered chart against, into deploy/helm/schemas/.
// Run it once per Kubernetes/KEDA/Prometheus-Operator upgrade and commit the result; CI only reads the files, so
// validation needs no network.
//
// Sources (Go modules, fetched with `go mod download` through the Go module proxy, which is reachable where GitHub
// and the usual schema mirrors are not):
//   k8s.io/kubernetes                      api/openapi-spec/swagger.json   — the built-in kinds
//   github.com/kedacore/keda/v2            config/crd/bases/*.yaml         — ScaledObject, TriggerAuthentication
//   github.com/prometheus-operator/prometheus-operator
//                                          example/prometheus-operator-crd — ServiceMonitor
//
// Output layout follows kubeconform's `-schema-location '<dir>/{{ .ResourceKind }}{{ .KindSuffix }}.json'`:
//   deployment-apps-v1.json, configmap-v1.json, scaledobject-keda-v1alpha1.json, …  one small file per kind
//   _definitions.json                      the Kubernetes definitions those kinds reach, shared through $ref
//
// What the conversion does (the same as kubeconform's openapi2jsonschema "strict" flavour, restricted to the kinds
// the chart renders so the committed files stay small):
//   * every object schema that lists properties gets additionalProperties: false, so a misspelt or misplaced field
//     fails validation (unless the API marks it x-kubernetes-preserve-unknown-fields);
//   * IntOrString and Quantity accept both of their JSON forms; x-kubernetes-int-or-string likewise in CRDs;
//   * descriptions and x-kubernetes-* annotations are dropped (they make up most of the bytes and validate nothing);
//   * apiVersion and kind are pinned with enums, and CRD metadata is validated as a real ObjectMeta.
//
// Usage: node scripts/helm/gen-k8s-schemas.mjs   (versions below; needs `go` on PATH and the yaml devDependency)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(repo, 'deploy/helm/schemas');

const KUBERNETES = { module: 'k8s.io/kubernetes', version: 'v1.34.4' };
const KEDA = { module: 'github.com/kedacore/keda/v2', version: 'v2.21.0' };
const PROM_OPERATOR = { module: 'github.com/prometheus-operator/prometheus-operator', version: 'v0.85.0' };

// Exactly the kinds the chart can render (keep in sync with deploy/helm/wmi-detect/templates).
const BUILTIN_KINDS = [
  { group: '', version: 'v1', kind: 'ConfigMap' },
  { group: '', version: 'v1', kind: 'Secret' },
  { group: '', version: 'v1', kind: 'Service' },
  { group: '', version: 'v1', kind: 'ServiceAccount' },
  { group: 'apps', version: 'v1', kind: 'Deployment' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  { group: 'batch', version: 'v1', kind: 'Job' },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
];
const CRDS = [
  { source: KEDA, file: 'config/crd/bases/keda.sh_scaledobjects.yaml', version: 'v1alpha1' },
  { source: KEDA, file: 'config/crd/bases/keda.sh_triggerauthentications.yaml', version: 'v1alpha1' },
  {
    source: PROM_OPERATOR,
    file: 'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
    version: 'v1',
  },
];

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const SPECIAL = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

function moduleDir({ module, version }) {
  const out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8' });
  const info = JSON.parse(out);
  if (info.Error || !info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no Dir'}`);
  return info.Dir;
}

/** kubeconform's file name for a kind: lower-case kind, then "-<first label of the group>-<version>". */
function fileName(group, version, kind) {
  const suffix = group ? `-${group.split('.')[0].toLowerCase()}-${version.toLowerCase()}` : `-${version.toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

/**
 * Rewrites one schema node (recursively): strips documentation, makes objects strict, rewrites $refs with
 * `refPrefix`, and turns the Kubernetes "int or string" marker into a oneOf.
 */
function convert(node, refPrefix) {
  if (Array.isArray(node)) return node.map((n) => convert(n, refPrefix));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-')) continue;
    if (key === '$ref') {
      out.$ref = value.replace('#/definitions/', `${refPrefix}#/definitions/`);
      continue;
    }
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, refPrefix)]));
      continue;
    }
    out[key] = convert(value, refPrefix);
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    return { ...out, oneOf: [{ type: 'string' }, { type: 'integer' }] };
  }
  // `nullable` (OpenAPI v3) is what lets Kubernetes accept an explicit null.
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !preserve) out.additionalProperties = false;
  return out;
}

function pinKind(schema, apiVersion, kind) {
  schema.properties = schema.properties ?? {};
  schema.properties.apiVersion = { type: 'string', enum: [apiVersion] };
  schema.properties.kind = { type: 'string', enum: [kind] };
  schema.required = [...new Set([...(schema.required ?? []), 'apiVersion', 'kind', 'metadata'])];
  return schema;
}

function collectRefs(node, acc) {
  if (Array.isArray(node)) for (const n of node) collectRefs(n, acc);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') acc.add(v.replace(/^.*#\/definitions\//, ''));
      else collectRefs(v, acc);
    }
  }
}

function writeJson(name, value) {
  writeFileSync(join(outDir, name), `${JSON.stringify(value)}\n`);
}

function main() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  // Built-in kinds.
  const k8sDir = moduleDir(KUBERNETES);
  const swagger = JSON.parse(readFileSync(join(k8sDir, 'api/openapi-spec/swagger.json'), 'utf8'));
  const defs = swagger.definitions;
  const needed = new Set([OBJECT_META]);
  const written = [];
  for (const { group, version, kind } of BUILTIN_KINDS) {
    const entry = Object.entries(defs).find(([, d]) =>
      (d['x-kubernetes-group-version-kind'] ?? []).some(
        (g) => g.group === group && g.version === version && g.kind === kind,
      ),
    );
    if (!entry)
      throw new Error(`no definition for ${group}/${version} ${kind} in ${KUBERNETES.module}@${KUBERNETES.version}`);
    const apiVersion = group ? `${group}/${version}` : version;
    const schema = pinKind(convert(entry[1], '_definitions.json'), apiVersion, kind);
    collectRefs(entry[1], needed);
    const name = fileName(group, version, kind);
    writeJson(name, schema);
    written.push(`${name}  ← ${entry[0]}`);
  }
  // Transitive closure of the definitions the kinds use.
  const queue = [...needed];
  while (queue.length) {
    const name = queue.pop();
    const refs = new Set();
    collectRefs(defs[name], refs);
    for (const r of refs) if (!needed.has(r)) needed.add(r) && queue.push(r);
  }
  const shared = {};
  for (const name of [...needed].sort()) {
    if (!defs[name]) throw new Error(`dangling $ref ${name}`);
    shared[name] = SPECIAL[name] ?? convert(defs[name], '');
  }
  writeJson('_definitions.json', { definitions: shared });

  // CRDs.
  for (const { source, file, version } of CRDS) {
    const crd = parseYaml(readFileSync(join(moduleDir(source), file), 'utf8'));
    const v = crd.spec.versions.find((x) => x.name === version);
    if (!v) throw new Error(`${file}: no version ${version}`);
    const { group } = crd.spec;
    const { kind } = crd.spec.names;
    const schema = pinKind(convert(v.schema.openAPIV3Schema, '_definitions.json'), `${group}/${version}`, kind);
    schema.properties.metadata = { $ref: `_definitions.json#/definitions/${OBJECT_META}` };
    const name = fileName(group, version, kind);
    writeJson(name, schema);
    written.push(`${name}  ← ${source.module}@${source.version} ${file}`);
  }

  const readme = `# Kubernetes JSON schemas for offline validation

Generated by \`node scripts/helm/gen-k8s-schemas.mjs\` — do not edit by hand; rerun it to upgrade.
\`scripts/helm/validate.sh\` and \`test/unit/helm-chart.test.ts\` validate the rendered chart against these files with
kubeconform, without network:

    kubeconform -strict -summary -schema-location 'deploy/helm/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json' manifests.yaml

Sources (Go modules from the Go module proxy):

- ${KUBERNETES.module}@${KUBERNETES.version} \`api/openapi-spec/swagger.json\`
- ${KEDA.module}@${KEDA.version} CRDs
- ${PROM_OPERATOR.module}@${PROM_OPERATOR.version} CRDs

Strict: objects that list properties reject unknown fields; descriptions are stripped. Only the kinds the chart
renders are here (a new kind in the chart needs a line in the generator, or kubeconform reports a missing schema):

${written.map((w) => `- ${w}`).join('\n')}
- _definitions.json  ← the ${needed.size} Kubernetes definitions they reference
`;
  writeFileSync(join(outDir, 'README.md'), readme);
  const files = readdirSync(outDir);
  process.stderr.write(`gen-k8s-schemas: wrote ${files.length} files to ${outDir}\n`);
}

main();
