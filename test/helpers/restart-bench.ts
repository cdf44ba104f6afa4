import { afterAll, beforeAll } from '@jest/globals';
import { type FakeLlmServer, startFakeLlm } from '../../apps/fake-llm/src/fake-llm.server.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface RestartBench {
  fake: FakeLlmServer;
  database: TestDatabase;
}

/**
 * For suites that stop and start servers on the same data: a fake upstream and a database made before the suite
 * and dropped after it, outliving every server in between. Read its fields inside tests (they are set in beforeAll).
 */
export function useRestartBench(): RestartBench {
  const bench = {} as RestartBench;
  beforeAll(async () => {
    bench.fake = await startFakeLlm({ port: 0 });
    bench.database = await createTestDatabase();
  });
  afterAll(async () => {
    await bench.fake?.close();
    await bench.database?.drop();
  });
  return bench;
}
