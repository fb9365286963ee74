/**
 * EVE timestamps: packet time, ISO 8601 with microseconds and an explicit UTC offset, the way Suricata writes them
 * ("2020-09-21T00:14:37.123456+0000"), so SIEM parsers configured for EVE read ours unchanged.
 *
 * Records name a few seconds over and over (an alert, its session record's start and end, its tag record), so the
 * "YYYY-MM-DDTHH:MM:SS." part of recent seconds is kept in a small direct-mapped cache: Date + toISOString were the
 * largest item of writing a dcerpc_session record.
 */
const SLOTS = 256;
const cachedSec = new Float64Array(SLOTS).fill(Number.NaN);
const cachedPrefix: string[] = new Array<string>(SLOTS).fill('');

export function eveTimestamp(tsUs: number): string {
  const ms = Math.floor(tsUs / 1000);
  const micros = Math.floor(tsUs - ms * 1000);
  const sec = Math.floor(ms / 1000);
  const slot = sec & (SLOTS - 1);
  if (cachedSec[slot] !== sec) {
    const iso = new Date(sec * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
    // only years 0000–9999 have this fixed layout; others take the general path every time
    if (iso.length !== 24) return slowEveTimestamp(ms, micros);
    cachedSec[slot] = sec;
    cachedPrefix[slot] = iso.slice(0, 20);
  }
  return `${cachedPrefix[slot]}${String(ms - sec * 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}+0000`;
}

function slowEveTimestamp(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}+0000`;
}
