import { mostOpenTogether } from './open-together.js';
import { gaps, percentile, type StreamTiming } from './sse-load.js';

/** BENCH-METHOD: the p99 gap between deltas a held level allows (10 × the paced figures' 20 ms). */
export const HELD_MAX_GAP_P99_MS = 200;
/** BENCH-METHOD's held pace: a delta every 100 ms, 10 a second. */
export const HELD_PACE_MS = 100;
/** A held level's replies in the full run: 50 deltas, 5 s at the held pace. */
export const HELD_REPLY_DELTAS = 50;
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

/** A level's streams read as the held rule reads them, with what the report shows beside. */
export interface HeldRuns extends HeldMeasure {
  /** Every gap between deltas of the streams that ended without an error. */
  gaps: number[];
  /** The first failed stream's error, if it had one. */
  firstError?: string;
}

/** One trial's streams, each meant to carry `deltas`: a stream failed with an error or with a delta missing. */
export function heldRuns(runs: readonly StreamTiming[], deltas: number): HeldRuns {
  const failed = runs.filter((run) => run.error || run.deltas.length !== deltas);
  const allGaps = runs.filter((run) => !run.error).flatMap(gaps);
  return { streams: runs.length, failed: failed.length, gapP99Ms: percentile(allGaps, 99), openTogether: mostOpenTogether(runs), gaps: allGaps, firstError: failed[0]?.error };
}

/** A subject's held levels, in the order run: the last one it was tried at marked `clientBound` where direct lost it. */
export interface HeldLevelRun {
  streams: number;
  held: boolean;
  /** Direct did not hold this level: it measures the load client, and counts for no subject. */
  clientBound?: boolean;
}

/** The open streams a subject held, and whether it may hold more than the run could measure. */
export interface HeldFigure {
  /** The highest level held that counts; 0: none. */
  streams: number;
  /**
   * It held the highest level that counts and was tried at the next, which direct lost (held or not there, the
   * client decided), or it held the last level of all: its own limit is `streams` or more.
   */
  orMore: boolean;
}

/** A subject's held figure from its levels; `lastLevel` is the highest level a run tries. */
export function heldFigure(levels: readonly HeldLevelRun[], lastLevel: number): HeldFigure {
  const streams = levels.filter((level) => level.held && !level.clientBound).at(-1)?.streams ?? 0;
  return { streams, orMore: levels.some((level) => level.clientBound || (level.held && level.streams === lastLevel)) };
}

/**
 * Whether `value` is at least `share` × `theirs`, where either may be only a lower bound (`orMore`): a bound
 * decides one way only. Ours at least the share of a relay that may hold more is not yet met; ours under the share
 * while ours may hold more is not yet missed. Undefined where the bounds leave it open, or where a figure cannot be
 * a share of the other (`theirs` not positive, `value` negative), as the ratio table's ratios.
 */
export function atLeastShare(value: number, valueOrMore: boolean, theirs: number, theirsOrMore: boolean, share: number): boolean | undefined {
  if (!(theirs > 0) || value < 0) return undefined;
  const meets = value >= share * theirs;
  return (meets && theirsOrMore) || (!meets && valueOrMore) ? undefined : meets;
}
