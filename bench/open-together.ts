import type { StreamTiming } from './sse-load.js';

/**
 * The most streams delivering at one moment, each counted from its first delta to its last: how many of a held
 * level's streams were open together (`HELD_MIN_OPEN_SHARE` in `held-level.ts` says why that matters).
 */
export function mostOpenTogether(runs: readonly StreamTiming[]): number {
  const edges: [at: number, change: 1 | -1][] = [];
  for (const { deltas } of runs) {
    if (deltas.length) edges.push([deltas[0]!, 1], [deltas.at(-1)!, -1]);
  }
  // At the same instant an ending stream goes first: one that ends as another starts was not open beside it.
  edges.sort(([a, changeA], [b, changeB]) => a - b || changeA - changeB);
  let open = 0;
  let most = 0;
  for (const [, change] of edges) {
    open += change;
    most = Math.max(most, open);
  }
  return most;
}
