// Preloaded (`node --import`) into servers a suite starts on port 0: tells the parent, over the IPC channel, the
// port the API server was given. Choosing a free port first and passing it on is a race: another worker's server
// (an app or a fake upstream) can take that port before this one binds it, and the suite then talks to a stranger.
// Only a server asked for port 0 is reported: the metrics server never is (METRICS_PORT is at least 1).
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function (...args) {
  const requested = typeof args[0] === 'object' && args[0] !== null ? args[0].port : args[0];
  if (Number(requested) === 0) this.once('listening', () => process.send?.({ listening: this.address().port }));
  return listen.apply(this, args);
};
// The channel must not keep the server alive: it exits on SIGTERM by itself.
process.channel?.unref();
