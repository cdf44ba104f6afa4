import { describe, expect, it } from '@jest/globals';
import { isHeld } from './held-level.js';

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
