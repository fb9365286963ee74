/** Adds the numbers of `src` into `dst`, recursively (objects of counters); other values are kept from the first. */
export function sumInto(dst: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const d = dst[k];
    if (typeof v === 'number') dst[k] = (typeof d === 'number' ? d : 0) + v;
    else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const child = d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
      sumInto(child, v as Record<string, unknown>);
      dst[k] = child;
    } else if (d === undefined) dst[k] = v;
  }
}
