/**
 * EVE timestamps: packet time, ISO 8601 with microseconds and an explicit UTC offset, the way Suricata writes them
 * ("2020-09-21T00:14:37.123456+0000"), so SIEM parsers configured for EVE read ours unchanged.
 */
export function eveTimestamp(tsUs: number): string {
  const ms = Math.floor(tsUs / 1000);
  const d = new Date(ms);
  const micros = Math.floor(tsUs - ms * 1000);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}+0000`;
}
