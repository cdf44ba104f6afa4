/**
 * The floor for any Node gateway (shared/BENCH-METHOD): node:http piping the upstream's bytes, nothing parsed,
 * nothing written, connections to the upstream kept alive. `RELAY_PORT`, `RELAY_UPSTREAM` (an origin).
 */
import http from 'node:http';

const upstream = new URL(process.env.RELAY_UPSTREAM ?? 'http://127.0.0.1:4610');
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
// Hop-by-hop headers belong to each connection, not to the message.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);
const endToEnd = (headers) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

const server = http.createServer((req, res) => {
  const forward = http.request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: endToEnd(req.headers), agent },
    (reply) => {
      res.writeHead(reply.statusCode ?? 502, endToEnd(reply.headers));
      reply.pipe(res);
    },
  );
  forward.on('error', () => res.destroy());
  // A client that leaves stops its upstream request too.
  res.on('close', () => {
    if (!res.writableFinished) forward.destroy();
  });
  req.pipe(forward);
});
// The same backlog as the gateway and the fake upstream: thousands of streams arrive within seconds.
server.listen(Number(process.env.RELAY_PORT ?? 4640), '127.0.0.1', 4096);
