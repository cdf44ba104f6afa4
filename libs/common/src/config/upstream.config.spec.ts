import { describe, expect, it } from '@jest/globals';
import { parseUpstreamConfig } from './upstream.config.js';

const allowed = (value: string) => parseUpstreamConfig({ ALLOWED_UPSTREAM_HOSTS: value }).allowedHosts;

describe('ALLOWED_UPSTREAM_HOSTS', () => {
  it('reads names, addresses and CIDR ranges, each with or without a port', () => {
    expect(allowed('Ollama.Internal, ollama.internal:11434, 10.0.0.5, 10.0.0.5:11434, 10.0.0.0/8, 10.0.0.0/8:11434')).toEqual([
      { name: 'ollama.internal' },
      { name: 'ollama.internal', port: 11434 },
      { network: '10.0.0.5', prefix: 32 },
      { network: '10.0.0.5', prefix: 32, port: 11434 },
      { network: '10.0.0.0', prefix: 8 },
      { network: '10.0.0.0', prefix: 8, port: 11434 },
    ]);
    expect(allowed('fd00::5, [fd00::5], [fd00::5]:8080, fd00::/8, [fd00::/8]:8080, localhost:1, [::1]:65535')).toEqual([
      { network: 'fd00::5', prefix: 128 },
      { network: 'fd00::5', prefix: 128 },
      { network: 'fd00::5', prefix: 128, port: 8080 },
      { network: 'fd00::', prefix: 8 },
      { network: 'fd00::', prefix: 8, port: 8080 },
      { name: 'localhost', port: 1 },
      { network: '::1', prefix: 128, port: 65535 },
    ]);
    expect(allowed('')).toEqual([]);
  });

  it.each([
    ['10.0.0.0/33', /not a valid CIDR range/],
    ['fd00::/129', /not a valid CIDR range/],
    ['10.0.0.0/', /not a valid CIDR range/],
    ['10.0.0/8', /not a valid CIDR range/],
    ['nonsense/8', /not a valid CIDR range/],
    ['10.0.0.5:0', /invalid port/],
    ['10.0.0.5:65536', /invalid port/],
    ['10.0.0.5:80a', /invalid port/],
    ['ollama.internal:', /invalid port/],
    ['[fd00::5]:', /invalid port/],
    ['[fd00::5]:http', /invalid port/],
    ['fe80::1%eth0', /zone id/],
    ['0x7f.1', /not a host name, address or CIDR range/],
    ['127.1', /not a host name, address or CIDR range/],
    ['user@host', /not a host name, address or CIDR range/],
    ['has space', /not a host name, address or CIDR range/],
    ['[not-v6]', /not a host name, address or CIDR range/],
    ['a:b:c', /not a host name, address or CIDR range/],
  ])('refuses %j and names the variable and the entry', (entry, problem) => {
    const parse = () => allowed(`127.0.0.1, ${entry}`);
    expect(parse).toThrow(`Invalid configuration: ALLOWED_UPSTREAM_HOSTS entry "${entry}"`);
    expect(parse).toThrow(problem);
  });
});
