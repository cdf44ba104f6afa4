/**
 * Floor: plain node:http doing what any gateway that reads the deltas must do (deltas.mjs), no framework.
 * `RELAY_PORT`, `RELAY_UPSTREAM`, as for bench/relay.mjs.
 */
import http from 'node:http';
import { relayTo } from './deltas.mjs';

const server = http.createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
  let text = '';
  req.setEncoding('utf8');
  for await (const part of req) text += part;
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return void res.writeHead(400).end();
  }
  await relayTo(res, body);
});
// The same backlog as the gateway and the fake upstream: thousands of streams arrive within seconds.
server.listen(Number(process.env.RELAY_PORT ?? 4650), '127.0.0.1', 4096);
