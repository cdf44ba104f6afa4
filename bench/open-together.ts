import type { StreamTiming } from './sse-load.js';

/**
 * The most streams delivering at one moment: each counts from its first delta to its last. A held level means
 * that many streams open together (BENCH-METHOD: the highest concurrency sustained); a gateway that queues new
 * streams for seconds before their first delta starts some after others have ended, and holds fewer at once than
 * the level it was sent.
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
