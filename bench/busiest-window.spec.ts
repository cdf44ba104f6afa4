import { describe, expect, it } from '@jest/globals';
import { busiest, type CpuSample } from './busiest-window.js';

/** Samples every 100 ms, the process using `percentOf(t)` % of a core in the 100 ms before each. */
function sampled(durationMs: number, percentOf: (at: number) => number): CpuSample[] {
  const samples: CpuSample[] = [{ at: 0, cpuMs: 0 }];
  for (let at = 100; at <= durationMs; at += 100) samples.push({ at, cpuMs: samples.at(-1)!.cpuMs + percentOf(at) });
  return samples;
}

describe('busiest', () => {
  it('finds a full half second that the average over the load hides, and when it was', () => {
    // 40 % throughout, but 100 % from 2.0 s to 2.5 s.
    const samples = sampled(6000, (at) => (at > 2000 && at <= 2500 ? 100 : 40));
    expect(busiest(samples)).toEqual({ busyPercent: 100, atMs: 2250 });
  });

  it('measures windows of at least half a second, so one busy sample does not read as a full core', () => {
    const samples = sampled(3000, (at) => (at === 1000 ? 100 : 0));
    expect(busiest(samples)!.busyPercent).toBe(20);
  });

  it('is undefined when the samples span less than a window', () => {
    expect(busiest(sampled(400, () => 50))).toBeUndefined();
    expect(busiest([])).toBeUndefined();
  });
});
