import { describe, expect, it } from '@jest/globals';
import { appDuration } from './sse-load.js';

describe('appDuration', () => {
  it("reads the gateway's app;dur= from a Server-Timing header, alone, among other metrics or repeated", () => {
    expect(appDuration('app;dur=3.25')).toBe(3.25);
    expect(appDuration('db;dur=1.5, app;dur=12.04')).toBe(12.04);
    expect(appDuration(['cache;desc=hit', 'app;dur=0.91'])).toBe(0.91);
  });

  it('is undefined without one: a peer or a floor that sends no Server-Timing, or another metric only', () => {
    expect(appDuration(undefined)).toBeUndefined();
    expect(appDuration('db;dur=1.5')).toBeUndefined();
    expect(appDuration('myapp;dur=4')).toBeUndefined();
  });
});
