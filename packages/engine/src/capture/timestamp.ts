/**
 * pcapng timestamps: a 64-bit count of units since 1970 (split into two u32 words), where the unit comes from the
 * interface's `if_tsresol` option (RFC draft-ietf-opsawg-pcapng §4.2):
 *
 *   if_tsresol = 0bSxxxxxxx   S = 0: unit is 10^-x seconds;  S = 1: unit is 2^-x seconds.   Default: 6 (µs).
 *
 * and `if_tsoffset` adds whole seconds. We want microseconds as a JS number, exactly. A nanosecond count since 1970
 * (~1.7e18) does not fit in a double (2^53 ~ 9e15), so the common resolutions are computed from the two words
 * without ever forming the 64-bit value; exotic ones (power-of-two, finer than 10^-12) fall back to BigInt.
 */
export const TsKind = {
  /** units are µs: value as is */
  Micro: 0,
  /** units finer than µs by a decimal divisor ≤ 2^20 (ns, 100 ps, ps): exact split division */
  DecimalDiv: 1,
  /** units coarser than µs by a decimal factor (s, ms, 100 µs …) */
  DecimalMul: 2,
  /** anything else: BigInt */
  Big: 3,
} as const;
export type TsKind = (typeof TsKind)[keyof typeof TsKind];

const TWO32 = 4294967296;

export class TsResolution {
  readonly kind: TsKind;
  /** DecimalDiv: divisor; DecimalMul: multiplier. */
  readonly factor: number;
  /** Big: units per second. */
  private readonly unitsPerSec: bigint;

  constructor(tsresol = 6) {
    const exp = tsresol & 0x7f;
    this.factor = 1;
    this.unitsPerSec = 1000000n;
    if ((tsresol & 0x80) === 0) {
      if (exp === 6) this.kind = TsKind.Micro;
      else if (exp < 6) {
        this.kind = TsKind.DecimalMul;
        this.factor = 10 ** (6 - exp);
      } else if (exp <= 12) {
        this.kind = TsKind.DecimalDiv;
        this.factor = 10 ** (exp - 6);
      } else {
        this.kind = TsKind.Big;
        this.unitsPerSec = 10n ** BigInt(exp);
      }
    } else {
      this.kind = TsKind.Big;
      this.unitsPerSec = 1n << BigInt(exp);
    }
  }

  /** Microseconds since the epoch, rounded down, from the high and low words of the unit count. */
  toMicros(high: number, low: number): number {
    switch (this.kind) {
      case TsKind.Micro:
        return high * TWO32 + low;
      case TsKind.DecimalDiv: {
        // (high·2^32 + low) / d = ⌊high/d⌋·2^32 + ((high mod d)·2^32 + low) / d; the second term stays < 2^53 for d ≤ 2^20.
        const d = this.factor;
        const hq = Math.floor(high / d);
        const hr = high - hq * d;
        return hq * TWO32 + Math.floor((hr * TWO32 + low) / d);
      }
      case TsKind.DecimalMul:
        return (high * TWO32 + low) * this.factor;
      default:
        return Number((((BigInt(high) << 32n) | BigInt(low)) * 1000000n) / this.unitsPerSec);
    }
  }
}
