import { timingSafeEqual } from 'node:crypto';

/** Whether a scrape may read the metrics: always without METRICS_TOKEN, else only with it as a bearer token. */
export function scrapeAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
