import { describe, expect, it } from '@jest/globals';
import { configVariables, GIVEN_SECRETS, readEnvFile } from '../../../../test/helpers/config-variables.js';
import { CONFIG_PARSERS } from './validate-config.js';

const example = readEnvFile('.env.example');

describe('.env.example', () => {
  it('lists exactly the variables the configuration schema reads', () => {
    expect([...example.keys()].sort()).toEqual([...configVariables()].sort());
  });

  it('gives each variable its default: the file parses to what an empty environment does', () => {
    for (const parse of CONFIG_PARSERS) {
      expect(parse({ ...Object.fromEntries(example), ...GIVEN_SECRETS })).toEqual(parse(GIVEN_SECRETS));
    }
  });

  it('leaves the secrets empty, so nobody deploys a published one', () => {
    expect([example.get('JWT_SECRET'), example.get('ENCRYPTION_KEY'), example.get('METRICS_TOKEN')]).toEqual(['', '', '']);
  });
});
