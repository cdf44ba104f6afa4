/**
 * Floor: a minimal NestJS app on Express (one module, one controller), logger off, doing what any gateway that
 * reads the deltas must do (deltas.mjs). `FLOOR_WRITER=write`: the handler takes `@Res()` and writes the stream
 * itself, as node-http.mjs does; `FLOOR_WRITER=sse`: the route is `@Sse()` on POST, as our native chat route
 * declares it, and returns an Observable of one `{data}` event per delta, then `event: done` (Nest numbers the
 * events). Plain JavaScript, decorators applied by hand: no build step. `RELAY_PORT`, `RELAY_UPSTREAM`, as for
 * bench/relay.mjs; `FLOOR_DATABASE_URL` or `FLOOR_PGLITE_DIR`, below.
 */
import { Body, Controller, HttpCode, HttpStatus, Module, Post, RequestMethod, Res, Sse, SseSignal } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Observable } from 'rxjs';
import { questionOf, relayTo, streamDeltas } from './deltas.mjs';
import { openTurnStore } from './stored-turn.mjs';

// `FLOOR_DATABASE_URL` (PostgreSQL) or `FLOOR_PGLITE_DIR` (PGlite in this process): each turn is also stored
// (stored-turn.mjs), as our `/v1` stores it (`FLOOR_WRITER=write`) or as our native route stores a turn continuing a
// session (`FLOOR_WRITER=sse`).
const { FLOOR_DATABASE_URL: url, FLOOR_PGLITE_DIR: pgliteDir } = process.env;
// `FLOOR_LOAD_APP`: every module our gateway's `AppModule` imports loaded (this checkout's build), none of it used: the
// heap and code our gateway carries, beside a floor's work (bench.ts, `floor-nest-app`).
if (process.env.FLOOR_LOAD_APP) await import(new URL('../../dist/apps/api/apps/api/src/app.module.js', import.meta.url).href);
const store = url || pgliteDir ? await openTurnStore({ url, pgliteDir }) : undefined;

class FloorController {
  write(body, res) {
    return relayTo(res, body, store);
  }

  /**
   * The client's leaving unsubscribes, which aborts the upstream request; so does `signal`, as on our route. With
   * a store, as our route: the session read before the Observable is returned, the turn written beside the upstream
   * request, the reply stored before `done`.
   */
  async sse(body, signal) {
    const session = await store?.openSession();
    return new Observable((subscriber) => {
      const upstream = new AbortController();
      const abort = () => upstream.abort();
      signal.addEventListener('abort', abort, { once: true });
      const turn = session?.begin(questionOf(body));
      let text = '';
      streamDeltas(body, upstream.signal, (chunk) => {
        if (turn) text += chunk.choices[0].delta.content;
        subscriber.next({ data: chunk });
      })
        .then(() => turn?.finish(text))
        .then(
          () => {
            subscriber.next({ type: 'done', data: '[DONE]' });
            subscriber.complete();
          },
          (error) => subscriber.error(error),
        );
      return () => {
        signal.removeEventListener('abort', abort);
        abort();
      };
    });
  }
}

const decorate = (decorators, method) => {
  const descriptor = Object.getOwnPropertyDescriptor(FloorController.prototype, method);
  for (const decorator of decorators) decorator(FloorController.prototype, method, descriptor);
};
if (process.env.FLOOR_WRITER === 'sse') {
  decorate([Sse('chat/completions', { method: RequestMethod.POST }), HttpCode(HttpStatus.OK)], 'sse');
  Body()(FloorController.prototype, 'sse', 0);
  SseSignal()(FloorController.prototype, 'sse', 1);
} else {
  decorate([Post('chat/completions')], 'write');
  Body()(FloorController.prototype, 'write', 0);
  Res()(FloorController.prototype, 'write', 1);
}
Controller('v1')(FloorController);

class FloorModule {}
Module({ controllers: [FloorController] })(FloorModule);

const app = await NestFactory.create(FloorModule, { logger: false });
// Not every signal (Nest's default): SIGUSR2 starts and stops the bench's profiler (profile-on-signal.mjs).
app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
// Nest hands arguments after the host on to Node's `server.listen`: the same backlog as the gateway's.
await app.listen(Number(process.env.RELAY_PORT ?? 4660), '127.0.0.1', 4096);
