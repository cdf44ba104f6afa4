import { describe } from '@jest/globals';

/** What a skipped suite's name carries; test/skipped-suites.reporter.js lists every suite that has it. */
export const SKIPPED_MARK = ' [skipped: ';

/**
 * `describe` where the suite can run, else the suite skipped with the reason in its name, so that a run says which
 * suites it did not run and why (a fresh machine has no PostgreSQL, Redis, NATS or Chromium).
 */
export function describeWhen(available: unknown, reason: string) {
  return (name: string, suite: () => void): void => (available ? describe(name, suite) : describe.skip(`${name}${SKIPPED_MARK}${reason}]`, suite));
}
