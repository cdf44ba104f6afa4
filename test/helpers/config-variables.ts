import { readFileSync } from 'node:fs';
import { CONFIG_PARSERS } from '../../libs/common/src/config/validate-config.js';
import type { Env } from '../../libs/common/src/config/env-reader.js';

/** Secrets given, so that parsing never generates development secrets into DATA_DIR. */
export const GIVEN_SECRETS: Env = {
  JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long',
  ENCRYPTION_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
};

/**
 * Every variable the configuration schema reads: each namespace parsed once over an environment that records
 * what is looked up. With nothing set every parser reads all of its variables (none is read only when another is).
 */
export function configVariables(): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy({ ...GIVEN_SECRETS }, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  for (const parse of CONFIG_PARSERS) parse(recording);
  return read;
}

/** A dotenv file's `NAME=value` lines (comments and blank lines skipped), in order; a name twice is an error. */
export function readEnvFile(path: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [index, line] of readFileSync(path, 'utf8').split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`${path}:${index + 1}: not NAME=value: ${line}`);
    if (entries.has(match[1]!)) throw new Error(`${path}:${index + 1}: ${match[1]} twice`);
    entries.set(match[1]!, match[2]!);
  }
  return entries;
}
