import { describe, expect, it } from '@jest/globals';
import { atLeastShare, heldFigure, heldRuns, isHeld } from './held-level.js';
import type { StreamTiming } from './sse-load.js';

const level = { streams: 1000, failed: 0, gapP99Ms: 150, openTogether: 1000 };

describe('isHeld', () => {
  it('holds a level whose deltas kept pace with every stream open together', () => {
    expect(isHeld(level)).toBe(true);
  });

  it('judges the median of three trials against one trial’s streams, failures against all of theirs', () => {
    expect(isHeld({ ...level, openTogether: 950 }, 3)).toBe(true);
    expect(isHeld({ ...level, failed: 2 }, 3)).toBe(true);
    expect(isHeld({ ...level, failed: 3 }, 3)).toBe(false);
  });

  it('does not hold a level with a long p99 gap, or errors at 0.1 %', () => {
    expect(isHeld({ ...level, gapP99Ms: 201 })).toBe(false);
    expect(isHeld({ ...level, failed: 1 })).toBe(false);
  });

  it('does not hold a level whose streams were not open together', () => {
    expect(isHeld({ ...level, openTogether: 899 })).toBe(false);
    expect(isHeld({ ...level, openTogether: 900 })).toBe(true);
  });
});

describe('heldRuns', () => {
  /** A stream of `deltas` every 100 ms from `firstAt`. */
  const stream = (firstAt: number, deltas = 3, error?: string): StreamTiming => ({
    startedAt: 0,
    deltas: Array.from({ length: deltas }, (_, i) => firstAt + i * 100),
    endedAt: firstAt + deltas * 100,
    error,
  });

  it('counts a stream failed with an error or with a delta missing, as the bench counts a held level', () => {
    const judged = heldRuns([stream(0), stream(0, 2), stream(0, 3, 'HTTP 503')], 3);
    expect(judged).toMatchObject({ streams: 3, failed: 2, firstError: undefined, openTogether: 3 });
    expect(heldRuns([stream(0, 3, 'HTTP 503')], 3).firstError).toBe('HTTP 503');
  });

  it('reads the gaps of the streams that ended without an error only', () => {
    const late = { ...stream(0), deltas: [0, 100, 900] };
    const judged = heldRuns([stream(0), late, { ...stream(0, 3, 'reset'), deltas: [0, 5000] }], 3);
    expect(judged.gaps.sort((a, b) => a - b)).toEqual([100, 100, 100, 800]);
    expect(judged.gapP99Ms).toBe(800);
  });
});

describe('heldFigure', () => {
  const at = (streams: number, held: boolean, clientBound?: boolean) => ({ streams, held, ...(clientBound && { clientBound }) });

  it('is the highest level held, exact where the subject lost the next one and direct held it', () => {
    expect(heldFigure([at(500, true), at(1000, true), at(1500, false)], 5000)).toEqual({ streams: 1000, orMore: false });
    expect(heldFigure([at(4000, true), at(5000, false)], 5000)).toEqual({ streams: 4000, orMore: false });
    expect(heldFigure([at(500, false)], 5000)).toEqual({ streams: 0, orMore: false });
  });

  it('may be more where the next level was the load client’s, held there or not', () => {
    expect(heldFigure([at(500, true), at(1000, true, true)], 5000)).toEqual({ streams: 500, orMore: true });
    expect(heldFigure([at(500, true), at(1000, false, true)], 5000)).toEqual({ streams: 500, orMore: true });
    expect(heldFigure([at(500, false, true)], 5000)).toEqual({ streams: 0, orMore: true });
  });

  it('may be more where it held the last level of all, a quick run’s one level too', () => {
    expect(heldFigure([at(4000, true), at(5000, true)], 5000)).toEqual({ streams: 5000, orMore: true });
    expect(heldFigure([at(300, true)], 300)).toEqual({ streams: 300, orMore: true });
  });
});

describe('atLeastShare', () => {
  it('judges exact figures by the share', () => {
    expect(atLeastShare(1600, false, 2000, false, 0.8)).toBe(true);
    expect(atLeastShare(1500, false, 2000, false, 0.8)).toBe(false);
  });

  it('cannot call it met when the relay may hold more, but can call it missed', () => {
    expect(atLeastShare(500, true, 500, true, 0.8)).toBeUndefined();
    expect(atLeastShare(500, false, 500, true, 0.8)).toBeUndefined();
    expect(atLeastShare(0, false, 500, true, 0.8)).toBe(false);
  });

  it('cannot call it missed when ours may hold more, but can call it met', () => {
    expect(atLeastShare(500, true, 1000, false, 0.8)).toBeUndefined();
    expect(atLeastShare(1000, true, 1000, false, 0.8)).toBe(true);
  });

  it('leaves it open where both are lower bounds and ours is under the share', () => {
    expect(atLeastShare(500, true, 1000, true, 0.8)).toBeUndefined();
  });

  it('has no answer against a relay that held nothing, or for a negative figure', () => {
    expect(atLeastShare(500, false, 0, false, 0.8)).toBeUndefined();
    expect(atLeastShare(-1, false, 500, false, 0.8)).toBeUndefined();
  });
});
