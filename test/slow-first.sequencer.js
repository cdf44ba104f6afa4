import Sequencer from '@jest/test-sequencer';
import { relative } from 'node:path';

/**
 * The suites that take longest, slowest first, by their times in CI runs. Jest orders by the durations it cached on
 * earlier runs, and without them (a fresh clone, CI) by file size, and several of the slowest suites are among the
 * smallest files (each test boots its own server): they started last and one worker ran them alone at the end while
 * the other sat idle. Suites not listed here, new ones included, keep jest's order after these.
 */
const SLOWEST = [
  'test/fuzz.e2e-spec.ts',
  'test/library.e2e-spec.ts',
  'test/user-admin-command.e2e-spec.ts',
  'test/oidc.e2e-spec.ts',
  'test/key-rotation.e2e-spec.ts',
  'test/openapi-typescript.e2e-spec.ts',
  'test/shutdown.e2e-spec.ts',
  'test/faults.e2e-spec.ts',
  'test/connections.e2e-spec.ts',
  'test/redis-faults.e2e-spec.ts',
  'test/account.e2e-spec.ts',
  'test/session-settings.e2e-spec.ts',
  'test/hostile-upstream.e2e-spec.ts',
  'test/foundation.e2e-spec.ts',
  'test/budgets.e2e-spec.ts',
];

export default class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = (test) => {
      const index = SLOWEST.indexOf(relative(test.context.config.rootDir, test.path));
      return index === -1 ? SLOWEST.length : index;
    };
    // Array.prototype.sort is stable: the unlisted suites stay in jest's order.
    return super.sort(tests).sort((a, b) => rank(a) - rank(b));
  }
}
