import { describe, expect, it } from '@jest/globals';
import { parseFilesConfig } from './files.config.js';

describe('parseFilesConfig: FILES_UNATTACHED_TTL', () => {
  it('defaults to a day and reads durations', () => {
    expect(parseFilesConfig({}).unattachedTtlMs).toBe(86_400_000);
    expect(parseFilesConfig({ FILES_UNATTACHED_TTL: '15m' }).unattachedTtlMs).toBe(900_000);
    expect(parseFilesConfig({ FILES_UNATTACHED_TTL: '7d' }).unattachedTtlMs).toBe(604_800_000);
  });

  it('refuses what is not a duration, and ages outside 1m to 365d', () => {
    for (const value of ['soon', '-1h', '0', '59s', '366d']) {
      expect(() => parseFilesConfig({ FILES_UNATTACHED_TTL: value })).toThrow(/FILES_UNATTACHED_TTL/);
    }
  });
});
