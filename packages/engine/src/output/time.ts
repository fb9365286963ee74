/**
 * EVE timestamps: packet time, ISO 8601 with microseconds and an explicit UTC offset, the way Suricata writes them
 * ("2020-09-21T00:14:37.123456+0000"), so SIEM parsers configured for EVE read ours unchanged.
 *
 * Records come in bursts from the same second (an alert, its session record, its tag record), so the
 * "YYYY-MM-DDTHH:MM:SS" part of the last second is kept: Date + toISOString were the largest item of writing a
 * dcerpc_session record.
 */
let cachedSec = Number.NaN;
let cachedPrefix = '';

export function eveTimestamp(tsUs: number): string {
  const ms = Math.floor(tsUs / 1000);
  const micros = Math.floor(tsUs - ms * 1000);
  const sec = Math.floor(ms / 1000);
  if (sec !== cachedSec) {
    const iso = new Date(sec * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
    // only years 0000–9999 have this fixed layout; others take the general path every time
    if (iso.length !== 24) return slowEveTimestamp(ms, micros);
    cachedSec = sec;
    cachedPrefix = iso.slice(0, 20);
  }
  return `${cachedPrefix}${String(ms - sec * 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}+0000`;
}

function slowEveTimestamp(ms: number, micros: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}+0000`;
}
