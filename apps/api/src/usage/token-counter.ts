import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. Counting a bounded text still takes 15-50 ms (32,000 characters), and loading the
 * tokenizer's tables half a second and 14 MiB of heap: on the event loop that would stall every reply streaming at
 * that moment, so it runs on a thread of its own. Inline source (CommonJS, `eval`) instead of a file beside this
 * one: the same code then runs from `dist/` and from the sources under jest, where no compiled worker file exists.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { countTokens } = require(workerData.tokenizer);
// Special-token text typed by a user (<|endoftext|>) is counted as the plain text it is, not refused.
const options = { disallowedSpecial: new Set() };
parentPort.on('message', ({ id, text }) => {
  try {
    parentPort.postMessage({ id, tokens: countTokens(text, options) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

type Reply = { id: number; tokens: number; error?: undefined } | { id: number; error: string };

/**
 * Counts tokens with OpenAI's o200k tokenizer (`gpt-tokenizer`) on one worker thread, started by `start` or the
 * first count. A worker that fails or exits rejects what it was counting, and the next count starts a new one.
 */
export class TokenCounter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (tokens: number) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  /** Starts the worker, which loads the tokenizer's tables at once, without waiting for it. */
  start(): void {
    this.worker ??= this.spawn();
  }

  count(text: string): Promise<number> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    // Referenced while a count is waiting (a reply's settlement is, even in shutdown), never when idle.
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text });
    });
  }

  /** Stops the worker; counts still waiting are rejected. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const tokenizer = createRequire(import.meta.url).resolve('gpt-tokenizer');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { tokenizer } });
    // An idle counter never keeps the process alive.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error === undefined) waiting?.resolve(reply.tokens);
      else waiting?.reject(new Error(`Token count failed: ${reply.error}`));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The token counter stopped (exit code ${code})`)));
    return worker;
  }
}
