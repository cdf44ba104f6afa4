import { describe, expect, it } from '@jest/globals';
import { costSplit } from './cost-split.js';

/** The CPU per 1,000 deltas of a gateway that spends `requestMs` per request and `deltaUs` per delta. */
const at = (deltas: number, requestMs: number, deltaUs: number) => ({ deltas, msPer1000Deltas: deltaUs + (requestMs * 1000) / deltas });

describe('costSplit', () => {
  it('recovers the per-request and per-delta costs from two reply lengths', () => {
    const split = costSplit(at(64, 0.7, 55), at(320, 0.7, 55));
    expect(split.perRequestMs).toBeCloseTo(0.7, 9);
    expect(split.perDeltaUs).toBeCloseTo(55, 9);
  });

  it('charges a figure that does not fall with longer replies to the deltas alone', () => {
    expect(costSplit({ deltas: 64, msPer1000Deltas: 80 }, { deltas: 640, msPer1000Deltas: 80 })).toEqual({ perRequestMs: 0, perDeltaUs: 80 });
  });

  it('gives a negative part where the longer replies cost more per delta (noise), rather than hiding it', () => {
    expect(costSplit({ deltas: 64, msPer1000Deltas: 70 }, { deltas: 320, msPer1000Deltas: 75 }).perRequestMs).toBeLessThan(0);
  });

  it('refuses lengths in the wrong order', () => {
    expect(() => costSplit({ deltas: 320, msPer1000Deltas: 70 }, { deltas: 64, msPer1000Deltas: 80 })).toThrow('must be shorter');
  });
});
