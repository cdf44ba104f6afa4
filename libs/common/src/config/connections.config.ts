import { readFileSync } from 'node:fs';
import { registerAs } from '@nestjs/config';
import { parse } from 'yaml';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

/** Bounds shared by the admin API and the file: a connection is small, whichever way it arrives. */
export const CONNECTION_LIMITS = {
  idPattern: /^[a-z0-9][a-z0-9_-]{0,63}$/,
  nameLength: 100,
  apiKeyPattern: /^[\x21-\x7e]{1,512}$/,
  baseUrlLength: 2048,
  models: 100,
  modelLength: 200,
  /** Connections in the file; the admin API has its own bound. */
  fileConnections: 500,
} as const;

/** One connection of CONNECTIONS_FILE, its `${VARIABLE}` references replaced. */
export interface FileConnection {
  id: string;
  provider: string;
  name: string;
  apiKey: string | null;
  baseUrl: string | null;
  models: string[];
  enabled: boolean;
}

const FIELDS = new Set(['id', 'provider', 'name', 'apiKey', 'baseUrl', 'models', 'enabled']);
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Reads CONNECTIONS_FILE (YAML, and so also JSON): `connections:` a list of `{id, provider, name, apiKey?, baseUrl?,
 * models?, enabled?}`. Keys come from the environment as `${OPENAI_KEY}`; a missing variable stops start-up naming
 * it. No message ever quotes a key. Provider names and base URLs are checked when the server starts (they need the
 * provider catalogue and DNS).
 */
export function readConnectionsFile(variable: string, path: string, env: Env): FileConnection[] {
  const refuse = (problem: string) => new ConfigError(variable, `(${path}) ${problem}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw refuse('cannot be read (missing, or not a readable file)');
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch {
    throw refuse('is not valid YAML or JSON');
  }
  const list = isRecord(document) ? document.connections : undefined;
  if (!Array.isArray(list)) throw refuse('must hold `connections:`, a list');
  if (list.length > CONNECTION_LIMITS.fileConnections) throw refuse(`holds more than ${CONNECTION_LIMITS.fileConnections} connections`);
  const seen = new Set<string>();
  return list.map((entry: unknown, index) => {
    const at = (problem: string) => refuse(`connections[${index}] ${problem}`);
    if (!isRecord(entry)) throw at('must be a mapping');
    const unknown = Object.keys(entry).find((field) => !FIELDS.has(field));
    if (unknown) throw at(`has an unknown field "${unknown.slice(0, 40)}"`);
    const { id, provider, name, apiKey, baseUrl, models = [], enabled = true } = entry;
    if (typeof id !== 'string' || !CONNECTION_LIMITS.idPattern.test(id)) throw at('id must be 1-64 lowercase letters, digits, "-" or "_"');
    if (seen.has(id)) throw at(`repeats the id "${id}"`);
    seen.add(id);
    const named = (problem: string) => refuse(`connection "${id}" ${problem}`);
    if (typeof provider !== 'string' || !/^[a-z0-9-]{1,32}$/.test(provider)) throw named('needs a provider');
    if (typeof name !== 'string' || !name.trim() || name.length > CONNECTION_LIMITS.nameLength) {
      throw named(`needs a name of 1-${CONNECTION_LIMITS.nameLength} characters`);
    }
    const key = apiKey === undefined || apiKey === null ? null : substitute(named, 'apiKey', apiKey, env);
    if (key !== null && !CONNECTION_LIMITS.apiKeyPattern.test(key)) throw named('apiKey must be 1-512 printable ASCII characters without spaces');
    const url = baseUrl === undefined || baseUrl === null ? null : substitute(named, 'baseUrl', baseUrl, env);
    if (url !== null && !isHttpUrl(url)) throw named(`baseUrl must be an http(s) URL of at most ${CONNECTION_LIMITS.baseUrlLength} characters`);
    if (!Array.isArray(models) || models.length > CONNECTION_LIMITS.models) throw named(`models must be a list of at most ${CONNECTION_LIMITS.models}`);
    if (!models.every((model) => typeof model === 'string' && model.length > 0 && model.length <= CONNECTION_LIMITS.modelLength)) {
      throw named(`models must be model ids of 1-${CONNECTION_LIMITS.modelLength} characters`);
    }
    if (typeof enabled !== 'boolean') throw named('enabled must be true or false');
    return { id, provider, name: name.trim(), apiKey: key, baseUrl: url, models: [...new Set(models as string[])], enabled };
  });
}

/** `${NAME}` references replaced from the environment; the value itself never appears in an error. */
function substitute(refuse: (problem: string) => ConfigError, field: string, value: unknown, env: Env): string {
  if (typeof value !== 'string') throw refuse(`${field} must be a string`);
  return value.replace(REFERENCE, (_, name: string) => {
    const resolved = env[name];
    if (resolved === undefined || resolved === '') throw refuse(`${field} refers to \${${name}}, which is not set`);
    return resolved;
  });
}

function isHttpUrl(value: string): boolean {
  if (value.length > CONNECTION_LIMITS.baseUrlLength) return false;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseConnectionsConfig(env: Env) {
  const read = new EnvReader(env);
  const file = read.string('CONNECTIONS_FILE');
  return {
    /** Whether members may use their own provider keys; without, every turn goes through the organisation's connections. */
    allowUserKeys: read.bool('ALLOW_USER_KEYS', true),
    /** The file's connections (keys resolved): the source of truth for their ids. Null: no file. */
    fileConnections: file === undefined ? null : readConnectionsFile('CONNECTIONS_FILE', file, env),
  };
}

export const connectionsConfig = registerAs('connections', () => parseConnectionsConfig(process.env));
export type ConnectionsConfig = ReturnType<typeof parseConnectionsConfig>;
