import { describe, expect, it } from '@jest/globals';
import { mostOpenTogether } from './open-together.js';
import type { StreamTiming } from './sse-load.js';

/** A stream whose deltas arrive every 100 ms from `firstAt`. */
const stream = (firstAt: number, deltas = 50): StreamTiming => ({
  startedAt: 0,
  deltas: Array.from({ length: deltas }, (_, i) => firstAt + i * 100),
  endedAt: firstAt + deltas * 100,
});

describe('mostOpenTogether', () => {
  it('counts every stream when their deliveries overlap', () => {
    const runs = Array.from({ length: 10 }, (_, i) => stream(i * 250));
    expect(mostOpenTogether(runs)).toBe(10);
  });

  it('counts fewer than were sent when late first deltas start streams after others have ended', () => {
    // Five streams deliver from 0 to 4.9 s; five more only start at 6 s, queued behind them.
    const runs = [...Array.from({ length: 5 }, () => stream(0)), ...Array.from({ length: 5 }, () => stream(6000))];
    expect(mostOpenTogether(runs)).toBe(5);
  });

  it('does not count a stream that ends as another starts as open beside it', () => {
    expect(mostOpenTogether([stream(0, 11), stream(1000)])).toBe(1);
  });

  it('leaves out streams that delivered nothing', () => {
    expect(mostOpenTogether([stream(0), { startedAt: 0, deltas: [], endedAt: 10, error: 'HTTP 503' }])).toBe(1);
    expect(mostOpenTogether([])).toBe(0);
  });
});
