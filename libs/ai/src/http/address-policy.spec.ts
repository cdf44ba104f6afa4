import { describe, expect, it } from '@jest/globals';
import { parseAllowedUpstreamHost } from '@app/common';
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

  // One address inside every special-purpose range of the IANA IPv4 and IPv6 registries (and the deprecated
  // site-local and IPv4-compatible ranges), whether ipaddr.js names the range or not.
  it.each([
    ['0.0.0.0/8', '0.1.2.3'],
    ['10.0.0.0/8', '10.255.255.255'],
    ['100.64.0.0/10', '100.100.100.200'],
    ['127.0.0.0/8', '127.0.0.2'],
    ['169.254.0.0/16', '169.254.0.1'],
    ['172.16.0.0/12', '172.20.1.1'],
    ['192.0.0.0/24', '192.0.0.170'],
    ['192.0.2.0/24', '192.0.2.1'],
    ['192.31.196.0/24 (AS112)', '192.31.196.1'],
    ['192.52.193.0/24 (AMT)', '192.52.193.1'],
    ['192.88.99.0/24', '192.88.99.1'],
    ['192.168.0.0/16', '192.168.255.1'],
    ['192.175.48.0/24 (AS112)', '192.175.48.1'],
    ['198.18.0.0/15', '198.19.255.255'],
    ['198.51.100.0/24', '198.51.100.7'],
    ['203.0.113.0/24', '203.0.113.7'],
    ['224.0.0.0/4', '239.255.255.250'],
    ['240.0.0.0/4', '240.0.0.1'],
    ['255.255.255.255/32', '255.255.255.255'],
    ['::/128', '::'],
    ['::1/128', '::1'],
    ['::ffff:0:0/96 with a private IPv4', '::ffff:192.168.0.1'],
    ['::ffff:0:0:0/96 (IPv4-translated)', '::ffff:0:7f00:1'],
    ['::ffff:0:0:0/96 with a public IPv4', '::ffff:0:808:808'],
    ['::/96 (IPv4-compatible), public IPv4 too', '::8.8.8.8'],
    ['::/96 (IPv4-compatible), hex', '::808:808'],
    ['64:ff9b::/96 with a private IPv4', '64:ff9b::7f00:1'],
    ['64:ff9b::/96 written with a dotted tail', '64:ff9b::10.0.0.1'],
    ['64:ff9b:1::/48 (local NAT64)', '64:ff9b:1::7f00:1'],
    ['64:ff9b:1::/48 with a public IPv4', '64:ff9b:1::808:808'],
    ['100::/64 (discard)', '100::1'],
    ['100:0:0:1::/64 (dummy)', '100:0:0:1::1'],
    ['2001::/32 (Teredo)', '2001::1'],
    ['2001::/32 (Teredo) with a public server', '2001:0:808:808::1'],
    ['2001::/23', '2001:1::1'],
    ['2001:2::/48', '2001:2::1'],
    ['2001:3::/32', '2001:3::1'],
    ['2001:4:112::/48', '2001:4:112::1'],
    ['2001:20::/28', '2001:20::1'],
    ['2001:30::/28', '2001:30::1'],
    ['2001:db8::/32', '2001:db8::1'],
    ['2002::/16 with a loopback IPv4', '2002:7f00:1::'],
    ['2002::/16 with a public IPv4 (6to4 is refused whole)', '2002:0808:0808::'],
    ['2620:4f:8000::/48', '2620:4f:8000::1'],
    ['3fff::/20', '3fff::1'],
    ['5f00::/16', '5f00::1'],
    ['fc00::/7', 'fdff::1'],
    ['fe80::/10', 'febf::1'],
    ['fe80::/10 with a zone id', 'fe80::1%eth0'],
    ['fec0::/10', 'fec0::1'],
    ['ff00::/8', 'ff0e::1'],
  ])('blocks %s: %s', (_range, address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows public %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it('sees through the numeric forms WHATWG URL normalises to loopback', () => {
    for (const raw of [
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://0/',
      'http://0x7f000001/',
      'http://017700000001/',
      'http://0x7F.0.0.0x1/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://3232235777/',
      'http://012.1/',
      'http://[::ffff:0:7f00:1]/',
      'http://[::ffff:0:127.0.0.1]/',
      'http://[64:ff9b:1::7f00:1]/',
      'http://[64:ff9b::127.0.0.1]/',
      'http://[2001::1]/',
      'http://[2002:7f00:1::]/',
      'http://[2002:0808:0808::]/',
      'http://[::127.0.0.1]/',
      'http://[0:0:0:0:0:ffff:7f00:1]/',
    ]) {
      const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
      expect([raw, isBlockedAddress(host)]).toEqual([raw, true]);
    }
  });
});

describe('UpstreamAllowlist', () => {
  const allowlistOf = (...entries: string[]) => new UpstreamAllowlist(entries.map((entry) => parseAllowedUpstreamHost('ALLOWED_UPSTREAM_HOSTS', entry)));
  const allowlist = allowlistOf('Ollama.Internal', '127.0.0.1', '10.20.0.0/16', '[fd00::5]');

  it('matches host names case-insensitively', () => {
    expect(allowlist.allowsHost('ollama.internal', 80)).toBe(true);
    expect(allowlist.allowsHost('other.internal', 80)).toBe(false);
  });

  it('matches single addresses and CIDR ranges', () => {
    expect(allowlist.allowsAddress('127.0.0.1', 80)).toBe(true);
    expect(allowlist.allowsAddress('127.0.0.2', 80)).toBe(false);
    expect(allowlist.allowsAddress('10.20.3.4', 80)).toBe(true);
    expect(allowlist.allowsAddress('10.21.0.1', 80)).toBe(false);
    expect(allowlist.allowsAddress('fd00::5', 80)).toBe(true);
    expect(allowlist.allowsAddress('not-an-ip', 80)).toBe(false);
  });

  it('allows an entry without a port on every port, and one with a port on that port only', () => {
    const ported = allowlistOf('ollama.internal:11434', '10.0.0.5:11434', '[fd00::5]:8080', '[fd00:1::/32]:9000', '172.16.0.0/12:7000', '127.0.0.1');
    expect([ported.allowsHost('ollama.internal', 11434), ported.allowsHost('ollama.internal', 22)]).toEqual([true, false]);
    expect([ported.allowsAddress('10.0.0.5', 11434), ported.allowsAddress('10.0.0.5', 6379)]).toEqual([true, false]);
    expect([ported.allowsAddress('fd00::5', 8080), ported.allowsAddress('fd00::5', 80)]).toEqual([true, false]);
    expect([ported.allowsAddress('fd00:1:ffff::1', 9000), ported.allowsAddress('fd00:1:ffff::1', 9001)]).toEqual([true, false]);
    expect([ported.allowsAddress('172.31.0.1', 7000), ported.allowsAddress('172.31.0.1', 5432)]).toEqual([true, false]);
    expect([ported.allowsAddress('127.0.0.1', 1), ported.allowsAddress('127.0.0.1', 65535)]).toEqual([true, true]);
  });

  it('admits the IPv4-mapped form of an allowed IPv4 address', () => {
    expect(allowlist.allowsAddress('::ffff:127.0.0.1', 80)).toBe(true);
    expect(allowlist.allowsAddress('::ffff:127.0.0.2', 80)).toBe(false);
  });
});
