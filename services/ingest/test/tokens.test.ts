import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenFile, TokenFileError, TokenStore } from '../src/tokens.js';

const FILE = `# sensors of site A
sensor-a:aaaaaaaaaaaaaaaaaaaa-secret

 sensor.b_2 :  bbbbbbbbbbbbbbbbbbbbbbbb:with-colon  
`;

describe('TokenStore.parse', () => {
  it('reads sensor-id:token lines, skipping blanks and comments, trimming around the token', () => {
    const s = TokenStore.parse(FILE);
    expect(s.size).toBe(2);
    expect(s.sensorOf('aaaaaaaaaaaaaaaaaaaa-secret')).toBe('sensor-a');
    // The token is everything after the FIRST colon.
    expect(s.sensorOf('bbbbbbbbbbbbbbbbbbbbbbbb:with-colon')).toBe('sensor.b_2');
    expect(s.sensorOf('bbbbbbbbbbbbbbbbbbbbbbbb')).toBeNull();
    expect(s.sensorOf('')).toBeNull();
  });

  it.each([
    ['no colon here at all', 2, "expected 'sensor-id:token'"],
    ['bad id!:0123456789abcdef0', 2, 'sensor id'],
    ['s1:short', 2, 'shorter than 16'],
    ['s1:0123456789abcdef0\ns1:fedcba98765432100', 3, "'s1' appears twice"],
  ])('rejects %j naming the line, never the token', (line, lineNo, problem) => {
    let err: unknown;
    try {
      TokenStore.parse(`# header\n${line}\n`);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenFileError);
    expect((err as TokenFileError).line).toBe(lineNo);
    expect((err as Error).message).toContain(problem);
    expect((err as Error).message).not.toContain('0123456789abcdef0');
    expect((err as Error).message).not.toContain('fedcba');
  });
});

describe('TokenStore.authenticate', () => {
  const s = TokenStore.parse(FILE);
  it('accepts "Bearer <token>" case-insensitively on the scheme', () => {
    expect(s.authenticate('Bearer aaaaaaaaaaaaaaaaaaaa-secret')).toBe('sensor-a');
    expect(s.authenticate('bearer   aaaaaaaaaaaaaaaaaaaa-secret')).toBe('sensor-a');
  });
  it('refuses a missing header, another scheme, an unknown or truncated token', () => {
    expect(s.authenticate(undefined)).toBeNull();
    expect(s.authenticate('Basic c2Vuc29yLWE6eA==')).toBeNull();
    expect(s.authenticate('Bearer aaaaaaaaaaaaaaaaaaaa-secreT')).toBeNull();
    expect(s.authenticate('Bearer aaaaaaaaaaaaaaaaaaaa')).toBeNull();
    expect(s.authenticate('Bearer')).toBeNull();
    expect(TokenStore.empty().authenticate('Bearer aaaaaaaaaaaaaaaaaaaa-secret')).toBeNull();
  });
});

describe('TokenFile', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('re-reads a replaced file and keeps the old tokens when the new file is invalid', () => {
    dir = mkdtempSync(join(tmpdir(), 'ingest-tokens-'));
    const path = join(dir, 'sensor-tokens');
    writeFileSync(path, 'one:1111111111111111\n');
    const results: string[] = [];
    const tf = new TokenFile(path, (r) => results.push(r.ok ? `ok ${r.sensors}` : `error ${r.error.message}`));
    expect(tf.store.sensorOf('1111111111111111')).toBe('one');

    // Kubernetes-style swap: write elsewhere, rename over.
    writeFileSync(join(dir, 'next'), 'one:1111111111111111\ntwo:2222222222222222\n');
    renameSync(join(dir, 'next'), path);
    tf.reload();
    expect(tf.store.sensorOf('2222222222222222')).toBe('two');

    writeFileSync(path, 'three:short\n');
    tf.reload();
    expect(tf.store.sensorOf('2222222222222222')).toBe('two');
    expect(results).toEqual(['ok 2', expect.stringContaining('error line 1:')]);
    tf.close();
  });
});
