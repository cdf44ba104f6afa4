import { afterEach, describe, expect, it } from '@jest/globals';
import { QueryLogger } from './query.logger.js';
import { captureLogs, restoreLogs } from '../../../test/helpers/capture-logs.js';

describe('QueryLogger', () => {
  afterEach(() => {
    restoreLogs();
  });

  it('logs a failed statement and the driver message through Nest, never its parameters', () => {
    const lines = captureLogs();
    const parameters = ['$argon2id$v=19$m=65536$c2VjcmV0LWhhc2g', 'my private chat text', { sealed: 'v1:abcdef' }, 42];
    const error = new Error('invalid input value for enum "status": "my private chat text"');
    new QueryLogger(false).logQueryError(error, 'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)', parameters);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('query failed: invalid input value for enum "status": "[redacted]"');
    expect(lines[0]).toContain('INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)');
    for (const secret of ['argon2', 'my private chat text', 'abcdef', 'PARAMETERS']) expect(lines[0]).not.toContain(secret);
  });

  it('logs statements only when asked to, and then without parameters', () => {
    const lines = captureLogs();
    new QueryLogger(false).logQuery('SELECT 1 WHERE $1');
    expect(lines).toEqual([]);
    new QueryLogger(true).logQuery('SELECT * FROM "api_keys" WHERE secret_hash = $1');
    expect(lines).toEqual([expect.stringContaining('query: SELECT * FROM "api_keys" WHERE secret_hash = $1')]);
  });
});
