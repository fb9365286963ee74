/** Runs `node bin/wmidetect.mjs ARGS` (the built CLI, as a user runs it) with a minimal environment. */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const BIN = join(repoRoot, 'bin', 'wmidetect.mjs');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function wmidetect(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        JAVA_HOME: process.env.JAVA_HOME ?? '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (c) => {
      stdout += c;
    });
    p.stderr.setEncoding('utf8').on('data', (c) => {
      stderr += c;
    });
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}
