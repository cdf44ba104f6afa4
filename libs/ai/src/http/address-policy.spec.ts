import { describe, expect, it } from '@jest/globals';
import { isBlockedAddress, UpstreamAllowlist } from './address-policy.js';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:0001::1',
    '2002:c0a8:0101::',
    'not-an-ip',
  ])('blocks %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows public %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it('sees through the numeric forms WHATWG URL normalises to loopback', () => {
    for (const raw of ['http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://127.1/', 'http://[::ffff:127.0.0.1]/', 'http://0/']) {
      const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
      expect([raw, isBlockedAddress(host)]).toEqual([raw, true]);
    }
  });
});

describe('UpstreamAllowlist', () => {
  const allowlist = new UpstreamAllowlist(['Ollama.Internal', '127.0.0.1', '10.20.0.0/16', '[fd00::5]']);

  it('matches host names case-insensitively', () => {
    expect(allowlist.allowsHost('ollama.internal')).toBe(true);
    expect(allowlist.allowsHost('other.internal')).toBe(false);
  });

  it('matches single addresses and CIDR ranges', () => {
    expect(allowlist.allowsAddress('127.0.0.1')).toBe(true);
    expect(allowlist.allowsAddress('127.0.0.2')).toBe(false);
    expect(allowlist.allowsAddress('10.20.3.4')).toBe(true);
    expect(allowlist.allowsAddress('10.21.0.1')).toBe(false);
    expect(allowlist.allowsAddress('fd00::5')).toBe(true);
    expect(allowlist.allowsAddress('not-an-ip')).toBe(false);
  });
});
