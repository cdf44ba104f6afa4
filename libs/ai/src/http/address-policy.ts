import { isIP } from 'node:net';
import type { AllowedUpstreamHost } from '@app/common';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Special-purpose IPv6 ranges (IANA registry) that ipaddr.js's range() files under 'unicast'. The ranges it does
 * name cover the rest of both IANA registries; isBlockedV6 refuses them (judging mapped and NAT64 by their IPv4).
 */
const UNNAMED_V6: [ipaddr.IPv6, number][] = [
  // IPv4-compatible (RFC 4291, deprecated): `::a.b.c.d` may still reach a.b.c.d through an automatic tunnel.
  ipaddr.IPv6.parseCIDR('::/96'),
  // Discard-only 100::/64 (RFC 6666) and the dummy prefix 100:0:0:1::/64 (RFC 9780).
  ipaddr.IPv6.parseCIDR('100::/63'),
];

/** Only the well-known /96 carries the destination in its last 32 bits; the local-use /48 is refused outright. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * Reads an address the way the socket will. ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d` where Node and WHATWG
 * URL read `::a.b.c.d` (IPv4-compatible), so an IPv6 address is first rewritten by WHATWG URL into its canonical
 * hex form. Anything Node would not connect to as an address (host names, zone ids, odd IPv4 spellings) is undefined.
 */
export function parseAddress(address: string): Address | undefined {
  const family = isIP(address);
  if (family === 4) return ipaddr.IPv4.parse(address);
  if (family !== 6) return undefined;
  try {
    return ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1));
  } catch {
    return undefined;
  }
}

/**
 * Every IPv4 range ipaddr.js names is special-purpose (private, loopback, link-local/metadata, CGNAT, benchmarking,
 * documentation, 6to4 relay, multicast, reserved, broadcast, and the anycast AS112 and AMT blocks, where no model
 * provider lives): only plain unicast passes.
 */
function isBlockedV4(address: ipaddr.IPv4): boolean {
  return address.range() !== 'unicast';
}

/**
 * IPv4-mapped and well-known NAT64 addresses are judged by the IPv4 address they reach. Everything else that is
 * special-purpose is refused whole, including translation forms whose embedded IPv4 looks public:
 * - IPv4-translated `::ffff:0:a.b.c.d` (SIIT) and local-use NAT64 `64:ff9b:1::/48` reach whatever the local
 *   translator maps them to;
 * - 6to4 `2002::/16`: the embedded IPv4 is only the tunnel end; the host part behind it is that site's network, and
 *   when the embedded address is one of ours it is our network, so a public embedded IPv4 is no proof of safety
 *   (6to4 is deprecated, RFC 7526; no provider publishes such an address);
 * - Teredo `2001::/32` (inside the refused IETF block 2001::/23): the same, through a Teredo relay.
 */
function isBlockedV6(address: ipaddr.IPv6): boolean {
  if (address.isIPv4MappedAddress()) return isBlockedV4(address.toIPv4Address());
  if (address.match(NAT64_WELL_KNOWN)) return isBlockedV4(ipaddr.fromByteArray(address.toByteArray().slice(12)) as ipaddr.IPv4);
  return address.range() !== 'unicast' || UNNAMED_V6.some((range) => address.match(range));
}

/** True for anything a user-supplied URL may not reach, and for anything that is not an address at all. */
export function isBlockedAddress(address: string): boolean {
  const parsed = parseAddress(address);
  if (parsed === undefined) return true;
  return parsed.kind() === 'ipv4' ? isBlockedV4(parsed as ipaddr.IPv4) : isBlockedV6(parsed as ipaddr.IPv6);
}

/**
 * The operator's exceptions (`ALLOWED_UPSTREAM_HOSTS`, parsed and checked at start-up): host names or address
 * ranges, each on one port when the entry names one, otherwise on every port.
 */
export class UpstreamAllowlist {
  private readonly names: { name: string; port?: number }[] = [];
  private readonly ranges: { range: [Address, number]; port?: number }[] = [];

  constructor(entries: readonly AllowedUpstreamHost[]) {
    for (const entry of entries) {
      if ('name' in entry) {
        this.names.push({ name: entry.name.toLowerCase(), port: entry.port });
        continue;
      }
      const network = parseAddress(entry.network);
      // The config parser accepts only what parseAddress reads; this guards a caller that skipped it.
      if (network === undefined) throw new Error(`Not an address: ${entry.network}`);
      this.ranges.push({ range: [network, entry.prefix], port: entry.port });
    }
  }

  allowsHost(hostname: string, port: number): boolean {
    const name = hostname.toLowerCase();
    return this.names.some((entry) => entry.name === name && (entry.port === undefined || entry.port === port));
  }

  allowsAddress(address: string, port: number): boolean {
    const parsed = parseAddress(address);
    if (parsed === undefined) return false;
    // An IPv4-mapped address is its IPv4 address: a `127.0.0.1` entry also admits `::ffff:127.0.0.1`.
    const plain = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
    return this.ranges.some(
      ({ range, port: only }) => range[0].kind() === plain.kind() && plain.match(range) && (only === undefined || only === port),
    );
  }
}
