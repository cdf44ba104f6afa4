/** A gateway's CPU under paced load, split into what each request costs and what each relayed delta costs. */
export interface CostSplit {
  perRequestMs: number;
  /** Also ms per 1,000 deltas. */
  perDeltaUs: number;
}

/** The CPU per 1,000 relayed deltas (ms) under the same paced load with replies of `deltas` deltas. */
export interface CpuAtLength {
  deltas: number;
  msPer1000Deltas: number;
}

/**
 * The reading of its CPU targets "by stream length": a reply of n deltas costs one request's set-up and n
 * deltas, so its CPU per 1,000 deltas is c(n) = per delta + per request × 1,000 / n, and two lengths give both
 * parts. A noisy pair can give a part below zero: it is returned as it is, for the reader to see (a ratio of it is
 * not taken).
 */
export function costSplit(short: CpuAtLength, long: CpuAtLength): CostSplit {
  if (short.deltas >= long.deltas) throw new Error(`The short replies (${short.deltas} deltas) must be shorter than the long ones (${long.deltas})`);
  const perRequestMs = (short.msPer1000Deltas - long.msPer1000Deltas) / (1000 / short.deltas - 1000 / long.deltas);
  return { perRequestMs, perDeltaUs: long.msPer1000Deltas - (perRequestMs * 1000) / long.deltas };
}
