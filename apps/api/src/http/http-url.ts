import type { AddressInfo } from 'node:net';

/** The URL of a listening socket as it is bound: `http://0.0.0.0:3000`, `http://[::]:3000`. */
export function httpUrl({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}
