/**
 * How long a process that has set its exit code may stay open for handles nothing closed (a pool's idle sockets left
 * by a start that failed half-way, say) before it is ended regardless: by then what it was doing has settled.
 */
const FORCED_EXIT_AFTER_MS = 2_000;

/**
 * Ends the process with `code` through Node's orderly teardown rather than `process.exit()` on a busy thread:
 * `process.exit()` while V8's helper threads compile code can deadlock in Node's platform shutdown, leaving a process
 * that never exits (nodejs/node#54918, #64274; seen here on Node 24.22 in about 1 of 10 failed starts). The exit
 * code is set and the event loop left to drain; should a handle keep it open, the exit is forced FORCED_EXIT_AFTER_MS
 * later, when no compilation is under way any more. The timer does not itself keep the process open. A failure's
 * code is never overwritten by a later success (a shutdown signal during a failed start's close).
 */
export function exitWhenSettled(code: number): void {
  if (!process.exitCode) process.exitCode = code;
  setTimeout(() => process.exit(), FORCED_EXIT_AFTER_MS).unref();
}
