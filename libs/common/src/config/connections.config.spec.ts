import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConnectionsConfig } from './connections.config.js';

const dir = mkdtempSync(join(tmpdir(), 'connections-config-'));
let files = 0;
const file = (text: string) => {
  const path = join(dir, `c${files++}.yaml`);
  writeFileSync(path, text);
  return path;
};
const KEY = 'sk-secret-from-env-0042';
const parse = (text: string, env: Record<string, string> = {}) => parseConnectionsConfig({ CONNECTIONS_FILE: file(text), ...env });

describe('CONNECTIONS_FILE', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads YAML and JSON, resolving ${VARIABLE} references from the environment', () => {
    const yaml = `connections:\n  - id: openai-main\n    provider: openai\n    name: " Team "\n    apiKey: \${OPENAI_KEY}\n    models: [gpt-4o, gpt-4o]\n`;
    expect(parse(yaml, { OPENAI_KEY: KEY }).fileConnections).toEqual([
      { id: 'openai-main', provider: 'openai', name: 'Team', apiKey: KEY, baseUrl: null, models: ['gpt-4o'], enabled: true },
    ]);
    const json = JSON.stringify({ connections: [{ id: 'local', provider: 'ollama', name: 'Ollama', baseUrl: 'http://${HOST}:11434/v1', enabled: false }] });
    expect(parse(json, { HOST: 'ollama.internal' }).fileConnections).toEqual([
      { id: 'local', provider: 'ollama', name: 'Ollama', apiKey: null, baseUrl: 'http://ollama.internal:11434/v1', models: [], enabled: false },
    ]);
    expect(parseConnectionsConfig({}).fileConnections).toBeNull();
    expect(parseConnectionsConfig({}).allowUserKeys).toBe(true);
  });

  it('stops start-up with a clear line naming the problem, never quoting a key', () => {
    const one = (fields: string) => `connections:\n  - id: main\n    provider: openai\n    name: Main\n${fields}`;
    const cases: [string, RegExp][] = [
      [one('    apiKey: ${MISSING_KEY}\n'), /CONNECTIONS_FILE .*connection "main" apiKey refers to \$\{MISSING_KEY\}, which is not set/],
      [one('    apiKey: ${BAD}\n'), /apiKey must be 1-512 printable ASCII/],
      [one('    colour: blue\n'), /connections\[0\] has an unknown field "colour"/],
      [one('    models: [1]\n'), /models must be model ids/],
      [one('    baseUrl: ftp://example.com\n'), /baseUrl must be an http\(s\) URL/],
      [one('    enabled: maybe\n'), /enabled must be true or false/],
      [`${one('')}  - id: main\n    provider: openai\n    name: Again\n`, /repeats the id "main"/],
      ['connections:\n  - id: Not A Slug\n    provider: openai\n    name: x\n', /id must be 1-64 lowercase/],
      ['connections: {}\n', /must hold `connections:`, a list/],
      ['connections: [\n', /is not valid YAML or JSON/],
    ];
    for (const [text, message] of cases) {
      const attempt = () => parse(text, { BAD: `${KEY} with spaces` });
      expect(attempt).toThrow(message);
      try {
        attempt();
      } catch (error) {
        expect((error as Error).message).not.toContain(KEY);
      }
    }
    expect(() => parseConnectionsConfig({ CONNECTIONS_FILE: join(dir, 'absent.yaml') })).toThrow(/CONNECTIONS_FILE \(.*absent.yaml\) cannot be read/);
  });
});
