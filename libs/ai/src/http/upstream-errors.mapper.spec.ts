import { describe, expect, it } from '@jest/globals';
import { errorFromStatus, errorFromStreamType, parseRetryAfter, redactSecrets } from './upstream-errors.mapper.js';

describe('upstream error mapping', () => {
  it.each([
    [401, 'upstream_auth'],
    [403, 'upstream_auth'],
    [429, 'upstream_rate_limited'],
    [529, 'upstream_rate_limited'],
    [400, 'upstream_bad_request'],
    [404, 'upstream_bad_request'],
    [408, 'upstream_timeout'],
    [500, 'upstream_error'],
    [503, 'upstream_error'],
  ])('maps HTTP %s to %s', (status, code) => {
    expect(errorFromStatus(status, '{}').code).toBe(code);
  });

  it("summarises the provider's message and never echoes keys or the raw body", () => {
    const body = JSON.stringify({ error: { message: 'Incorrect API key provided: sk-proj-abcdef123456. Find your key at https://x?key=AIzaSyA1234567890abc', internal: 'stack trace here' } });
    const error = errorFromStatus(401, body);
    expect(error.message).toBe('The provider answered HTTP 401: Incorrect API key provided: sk-… Find your key at https://x?key=…');
    expect(error.message).not.toContain('stack trace');
    expect(errorFromStatus(500, '<html>gateway exploded</html>').message).toBe('The provider answered HTTP 500');
    expect(errorFromStatus(400, JSON.stringify({ error: { message: 'x'.repeat(500) } })).message.length).toBeLessThan(260);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(errorFromStatus(429, '{}', '7').retryAfterSeconds).toBe(7);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('maps errors reported inside a stream by their type', () => {
    expect(errorFromStreamType('overloaded_error', 'Overloaded').code).toBe('upstream_rate_limited');
    expect(errorFromStreamType('authentication_error', 'bad key').code).toBe('upstream_auth');
    expect(errorFromStreamType(undefined, undefined).code).toBe('upstream_error');
  });

  it('redacts bearer tokens and key parameters', () => {
    expect(redactSecrets('Authorization: Bearer abc.def.ghi and ?api_key=zzz&x=1')).toBe('Authorization: Bearer … and ?api_key=…&x=1');
  });
});
