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

/** Something a suite needs beyond Node and the built server, and what the run says when it is missing. */
export interface Requirement {
  available: boolean;
  missing: string;
}

/** The real services CI gives (.ci/run sets the variables); `npm test` on a fresh machine runs without them. */
export const POSTGRES: Requirement = { available: Boolean(process.env.TEST_DATABASE_URL), missing: 'TEST_DATABASE_URL not set: needs a PostgreSQL server' };
export const REDIS: Requirement = { available: Boolean(process.env.TEST_REDIS_URL), missing: 'TEST_REDIS_URL not set: needs a Redis server' };
export const NATS: Requirement = { available: Boolean(process.env.TEST_NATS_URL), missing: 'TEST_NATS_URL not set: needs a NATS server' };

/** `describe` if every requirement is met, else skipped with the reasons of the missing ones. */
export function describeWith(...requirements: Requirement[]) {
  const missing = requirements.filter((requirement) => !requirement.available).map((requirement) => requirement.missing);
  return describeWhen(missing.length === 0, missing.join('; '));
}
