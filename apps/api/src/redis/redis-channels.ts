import type { Redis } from 'ioredis';

interface ChannelListeners {
  handlers: Set<(message: string) => void>;
  ready: Promise<unknown>;
}

/**
 * Subscriptions on the one pub/sub connection, shared by every listener of a channel. Channels are named here,
 * with the connection's key prefix (REDIS_KEY_PREFIX) before them: ioredis prefixes keys, never channels, and two
 * deployments sharing a Redis must not hear each other.
 */
export class RedisChannels {
  private readonly listeners = new Map<string, ChannelListeners>();
  private readonly dropWatchers = new Set<() => void>();
  private readonly prefix: string;

  constructor(private readonly connection: Redis) {
    this.prefix = connection.options.keyPrefix ?? '';
    connection.on('message', (channel: string, message: string) => this.listeners.get(channel)?.handlers.forEach((handle) => handle(message)));
    connection.on('close', () => {
      const watchers = [...this.dropWatchers];
      this.dropWatchers.clear();
      watchers.forEach((dropped) => dropped());
    });
  }

  /**
   * Calls `dropped` once if the connection closes. ioredis subscribes again when it is back, but whatever was
   * published in between is lost: a listener that must not miss a message has to start over.
   * Call the result to stop watching.
   */
  watchDrop(dropped: () => void): () => void {
    this.dropWatchers.add(dropped);
    return () => this.dropWatchers.delete(dropped);
  }

  /** The channel's name in Redis, for publishing (PUBLISH, or a script's): the app's name with the prefix. */
  name(channel: string): string {
    return this.prefix + channel;
  }

  /** Resolves once Redis delivers the channel's messages to `handle`; call the result to stop listening. */
  async listen(appChannel: string, handle: (message: string) => void): Promise<() => void> {
    const channel = this.name(appChannel);
    let entry = this.listeners.get(channel);
    if (!entry) {
      const created: ChannelListeners = {
        handlers: new Set(),
        // A failed subscription is forgotten, so the next listener tries again instead of inheriting the failure.
        ready: this.readyCheckDone().then(() => this.connection.subscribe(channel)).catch((error: unknown) => {
          if (this.listeners.get(channel) === created) this.listeners.delete(channel);
          throw error;
        }),
      };
      entry = created;
      this.listeners.set(channel, entry);
    }
    const { handlers, ready } = entry;
    handlers.add(handle);
    await ready;
    return () => {
      if (!handlers.delete(handle) || handlers.size > 0 || this.listeners.get(channel)?.handlers !== handlers) return;
      this.listeners.delete(channel);
      this.connection.unsubscribe(channel).catch(() => undefined);
    };
  }

  /**
   * ioredis (5.x) writes SUBSCRIBE at once on a connection that is up but still running its ready check, and
   * the check (INFO) then fails in subscriber mode: the connection is dropped, and the one that replaces it is
   * not subscribed, silently. In any other state SUBSCRIBE waits in the offline queue, which is safe.
   */
  private readyCheckDone(): Promise<void> {
    const connection = this.connection;
    if (connection.status !== 'connect') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        connection.off('ready', done);
        connection.off('close', done);
        resolve();
      };
      connection.once('ready', done);
      connection.once('close', done);
    });
  }
}
