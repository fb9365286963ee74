// Static checks of the Dockerfile: no container engine exists on the CI machines, so the image is never built here
// (docs/deploy.md). What can be checked without building is checked: base image, stages, user, entrypoint, and
// that the build context leaves out what must not be in it.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with line continuations joined and comment lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') {
      if (current === '') continue;
      if (line === '') {
        logical.push(current);
        current = '';
      }
      continue;
    }
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
    } else {
      logical.push(current + line);
      current = '';
    }
  }
  if (current) logical.push(current);
  return logical.map((l) => {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    return { keyword: m[1].toUpperCase(), args: m[2] };
  });
}

const dockerfile = readFileSync(resolve(repoRoot, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const stages: Instruction[][] = [];
for (const ins of instructions) {
  if (ins.keyword === 'FROM') stages.push([]);
  if (stages.length > 0) stages[stages.length - 1].push(ins);
}
const runtime = stages[stages.length - 1];
const build = stages[0];

describe('Dockerfile', () => {
  it('is multi-stage, every stage on Node 24 (bookworm-slim)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeImageArg = instructions.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(nodeImageArg?.args).toBe('NODE_IMAGE=node:24-bookworm-slim');
    for (const stage of stages) {
      const from = stage[0].args.split(/\s+/)[0];
      // The Dockerfile's own ARG reference, not a JS template placeholder.
      const image = from === '$' + '{NODE_IMAGE}' ? 'node:24-bookworm-slim' : from;
      expect(image).toMatch(/^node:24(\.\d+)*-bookworm-slim$/);
    }
  });

  it('builds with npm ci + npm run build and prunes dev dependencies before the runtime copy', () => {
    const run = build
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(run).toMatch(/npm ci\b/);
    expect(run).toMatch(/npm run build\b/);
    expect(run).toMatch(/npm prune --omit=dev\b/);
    expect(run.indexOf('npm ci')).toBeLessThan(run.indexOf('npm prune'));
    expect(runtime.some((i) => i.keyword === 'COPY' && i.args.includes('--from=build'))).toBe(true);
    // The runtime stage installs nothing: only the pruned output of the build stage goes in.
    expect(runtime.some((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  });

  it('runs as the numeric non-root user 10001', () => {
    const users = runtime.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1].args;
    const [uid, gid] = last.split(':');
    expect(uid).toBe('10001');
    expect(gid).toBe('10001');
    // The user exists in the image with that id.
    const run = runtime
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ');
    expect(run).toMatch(/useradd\b[^&]*--uid 10001\b/);
  });

  it('enters through the root package bin, with no Docker HEALTHCHECK (Kubernetes probes instead)', () => {
    const entrypoint = runtime.find((i) => i.keyword === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint!.args)).toEqual(['node', '/app/bin/wmidetect.mjs']);
    const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8'));
    expect(pkg.bin.wmidetect).toBe('bin/wmidetect.mjs');
    expect(existsSync(resolve(repoRoot, 'bin/wmidetect.mjs'))).toBe(true);
    expect(runtime.find((i) => i.keyword === 'HEALTHCHECK')?.args).toBe('NONE');
    expect(runtime.find((i) => i.keyword === 'EXPOSE')?.args.split(/\s+/)).toEqual(['8080', '9464']);
  });

  it('keeps node_modules, build output, git metadata and key files out of the build context', () => {
    const ignore = readFileSync(resolve(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const pattern of ['.git', '**/node_modules', '**/dist', '**/*.pem', '**/*.key']) {
      expect(ignore).toContain(pattern);
    }
  });
});
