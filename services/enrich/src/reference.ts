/**
 * Reference data of enrich: the asset inventory and the whitelist, as the baseline files give them at start and as
 * the compacted topics then change them (docs/configuration.md §5).
 *
 *   file       ASSETS_FILE / WHITELIST_FILE: a JSON array of entries. An invalid entry is a start-up error
 *              (ReferenceFileError, naming the file and the entry) — a half-loaded whitelist would let through, or
 *              hide, alerts nobody asked about.
 *   topic      TOPIC_REF_ASSETS / TOPIC_REF_WHITELIST: key = entry id (UTF-8), value = the entry as JSON,
 *              null value (tombstone) = delete the entry. A record overrides the file entry with the same id. An
 *              invalid record is rejected and counted, and the previous state of that entry is kept: one bad
 *              publication must not wipe a rule that was working.
 *
 * Every change replaces the entry in place (AssetInventory/Whitelist.put/delete); lookups between two records see
 * either the old or the new entry, never a half-applied one, because JS runs one record at a time.
 */
import { readFileSync } from 'node:fs';
import { AssetInventory, validateAsset } from './assets.js';
import { validateWhitelistEntry, Whitelist } from './whitelist.js';

export type ReferenceKind = 'assets' | 'whitelist';

export class ReferenceFileError extends Error {
  override name = 'ReferenceFileError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** What applying one topic record did. */
export type ApplyOutcome =
  | { kind: ReferenceKind; action: 'put' | 'delete'; id: string }
  | { kind: ReferenceKind; action: 'rejected'; id: string | null; reason: string };

function parseFileEntries(path: string, variable: string, validate: (raw: unknown) => { id: string }): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReferenceFileError(variable, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ReferenceFileError(variable, `${path} is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(json)) throw new ReferenceFileError(variable, `${path} must hold a JSON array of entries`);
  const ids = new Set<string>();
  json.forEach((raw, i) => {
    let id: string;
    try {
      id = validate(raw).id;
    } catch (e) {
      throw new ReferenceFileError(variable, `${path} entry #${i + 1}: ${(e as Error).message}`);
    }
    if (ids.has(id)) throw new ReferenceFileError(variable, `${path} entry #${i + 1}: duplicate id '${id}'`);
    ids.add(id);
  });
  return json;
}

export class ReferenceData {
  readonly assets: AssetInventory;
  readonly whitelist: Whitelist;
  /** Topic records applied (put or delete), per kind. */
  readonly applied: Record<ReferenceKind, number> = { assets: 0, whitelist: 0 };
  /** Topic records rejected, per kind. */
  readonly rejected: Record<ReferenceKind, number> = { assets: 0, whitelist: 0 };

  constructor(assets: AssetInventory = new AssetInventory(), whitelist: Whitelist = new Whitelist()) {
    this.assets = assets;
    this.whitelist = whitelist;
  }

  /** The baseline from the files (either may be absent: empty inventory, nothing whitelisted). */
  static fromFiles(files: { assetsFile?: string; whitelistFile?: string }): ReferenceData {
    const assets = files.assetsFile
      ? AssetInventory.from(parseFileEntries(files.assetsFile, 'ASSETS_FILE', validateAsset))
      : new AssetInventory();
    const whitelist = files.whitelistFile
      ? Whitelist.from(parseFileEntries(files.whitelistFile, 'WHITELIST_FILE', validateWhitelistEntry))
      : new Whitelist();
    return new ReferenceData(assets, whitelist);
  }

  size(kind: ReferenceKind): number {
    return kind === 'assets' ? this.assets.size : this.whitelist.size;
  }

  /** Applies one record of a reference topic; never throws. */
  apply(kind: ReferenceKind, key: Buffer | null, value: Buffer | null): ApplyOutcome {
    const reject = (id: string | null, reason: string): ApplyOutcome => {
      this.rejected[kind]++;
      return { kind, action: 'rejected', id, reason };
    };
    if (key === null || key.length === 0) return reject(null, 'record has no key (the key must be the entry id)');
    const id = key.toString('utf8');
    if (value === null) {
      if (kind === 'assets') this.assets.delete(id);
      else this.whitelist.delete(id);
      this.applied[kind]++;
      return { kind, action: 'delete', id };
    }
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch (e) {
      return reject(id, `value is not JSON: ${(e as Error).message}`);
    }
    try {
      if (kind === 'assets') {
        const entry = validateAsset(json);
        if (entry.id !== id) return reject(id, `key '${id}' differs from the entry's id '${entry.id}'`);
        this.assets.put(entry);
      } else {
        const entry = validateWhitelistEntry(json);
        if (entry.id !== id) return reject(id, `key '${id}' differs from the entry's id '${entry.id}'`);
        this.whitelist.put(entry);
      }
    } catch (e) {
      return reject(id, (e as Error).message);
    }
    this.applied[kind]++;
    return { kind, action: 'put', id };
  }
}
