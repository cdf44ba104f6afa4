/** BENCH-METHOD: the p99 gap between deltas a held level allows (10 × the paced figures' 20 ms). */
export const HELD_MAX_GAP_P99_MS = 200;
/**
 * The share of a level's streams that must be delivering at one moment. BENCH-METHOD's figure is a concurrency
 * sustained: a gateway that queues new streams for seconds before their first delta starts some after others have
 * ended, and would otherwise "hold" a level it never had open; in a run on a loaded machine a stored floor held
 * 3,000 streams on 52 % of its core so.
 */
export const HELD_MIN_OPEN_SHARE = 0.9;

/** A held level as measured: over one trial, or the median of several (failures summed over all of them). */
export interface HeldMeasure {
  /** streams in one trial */
  streams: number;
  /** failed streams, every trial's */
  failed: number;
  gapP99Ms: number;
  /** the most streams delivering at one moment, in one trial */
  openTogether: number;
}

/** Held: errors under 0.1 % of every trial's streams, a p99 gap of at most 200 ms, and the streams open together. */
export function isHeld({ streams, failed, gapP99Ms, openTogether }: HeldMeasure, trials = 1): boolean {
  return failed / (streams * trials) < 0.001 && gapP99Ms <= HELD_MAX_GAP_P99_MS && openTogether >= HELD_MIN_OPEN_SHARE * streams;
}
