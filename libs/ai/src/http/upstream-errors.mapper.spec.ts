import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { errorFromStatus, errorFromStreamType, parseRetryAfter, redactSecrets } from './upstream-errors.mapper.js';
import { captureLogs, restoreLogs } from '../../../../test/helpers/capture-logs.js';

describe('upstream error mapping', () => {
  beforeEach(() => void captureLogs());
  afterEach(() => {
    restoreLogs();
  });

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

  it("tells the user a fixed message per code, never the provider's text; the text goes to the log, redacted", () => {
    const lines = captureLogs();
    const spacedKey = 's k - p r o j - a b c d e f 1 2 3 4 5 6';
    const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${spacedKey}; internal host db-7.corp, sk-proj-abcdef123456`, internal: 'stack trace here' } });
    const error = errorFromStatus(401, body);
    expect(error.message).toBe('The provider did not accept the API key: check it in your provider settings');
    expect(errorFromStatus(400, body).message).toBe(errorFromStatus(400, '{}').message);
    expect(errorFromStatus(500, '<html>gateway exploded</html>').message).toBe('The provider failed to answer');
    expect(lines[0]).toContain('HTTP 401 (upstream_auth)');
    expect(lines[0]).toContain('internal host db-7.corp');
    expect(lines.join('\n')).toContain('gateway exploded');
    for (const leak of [spacedKey, 'abcdef123456', 'a b c d e f', 'stack trace here']) expect(lines.join('\n')).not.toContain(leak);
    errorFromStatus(400, JSON.stringify({ error: { message: 'x'.repeat(5000) } }));
    expect(lines.at(-1)!.length).toBeLessThan(300);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(errorFromStatus(429, '{}', '7').retryAfterSeconds).toBe(7);
    expect(parseRetryAfter(new Date(Date.now() + 30_000).toUTCString())).toBeGreaterThanOrEqual(29);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('maps errors reported inside a stream by their type, with the fixed message of the code', () => {
    const lines = captureLogs();
    expect(errorFromStreamType('overloaded_error', 'Overloaded').code).toBe('upstream_rate_limited');
    const auth = errorFromStreamType('authentication_error', 'bad key s k - a n t - 0 1 2 3 4 5 6 7 8 9 here');
    expect(auth).toEqual(expect.objectContaining({ code: 'upstream_auth', message: 'The provider did not accept the API key: check it in your provider settings' }));
    expect(errorFromStreamType(undefined, undefined).code).toBe('upstream_error');
    expect(lines[1]).toContain('bad key … here');
  });

  it('redacts bearer tokens and key parameters', () => {
    expect(redactSecrets('Authorization: Bearer abc.def.ghi and ?api_key=zzz&x=1')).toBe('Authorization: Bearer … and ?api_key=…&x=1');
  });
});
