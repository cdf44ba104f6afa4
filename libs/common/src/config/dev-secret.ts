import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const logger = new Logger('Config');

/**
 * Outside production a missing secret is generated once and kept under the data folder, so that tokens and
 * encrypted provider keys stay valid across restarts of a developer's machine.
 */
export function devSecret(dataDir: string, variable: string, bytes: number): Buffer {
  const file = join(dataDir, 'dev-secrets.json');
  let secrets: Record<string, string> = {};
  try {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch {
    // first start: nothing stored yet
  }
  const stored = secrets[variable];
  if (stored) return Buffer.from(stored, 'base64');

  const secret = randomBytes(bytes);
  secrets[variable] = secret.toString('base64');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  logger.warn(`${variable} is not set: generated a development secret in ${file}. Set ${variable} in production.`);
  return secret;
}
