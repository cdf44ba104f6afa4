/**
 * Money is counted in nano-units of its currency (1e-9), as bigint: sums never drift, and a whole reply's cost
 * fits a PostgreSQL `numeric(20,9)` and a Redis integer alike. Decimal strings are the outside form (JSON, SQL).
 */
export const NANOS_PER_UNIT = 1_000_000_000n;
const SCALE = 9;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative decimal string (`"2.50"`, `"0.075"`) in nano-units; digits beyond the ninth decimal are refused. */
export function parseDecimal(text: string): bigint {
  const match = DECIMAL.exec(text);
  if (!match || (match[2]?.length ?? 0) > SCALE) throw new RangeError(`Not a decimal with at most ${SCALE} places: ${text}`);
  return BigInt(match[1]!) * NANOS_PER_UNIT + BigInt((match[2] ?? '').padEnd(SCALE, '0'));
}

/** Nano-units as a decimal string with nine places (`"0.000012500"`), as `numeric(20,9)` prints it. */
export function formatDecimal(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const magnitude = nanos < 0n ? -nanos : nanos;
  return `${sign}${magnitude / NANOS_PER_UNIT}.${(magnitude % NANOS_PER_UNIT).toString().padStart(SCALE, '0')}`;
}
