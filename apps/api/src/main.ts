import 'reflect-metadata';
// Before anything else loads: tracing's require hooks must be in place before Express and pg are loaded.
import { tracing } from './observability/tracing.bootstrap.js';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import type { AddressInfo } from 'node:net';
import { registerMicroserviceLogging } from 'nestjs-pino';
import { appConfig, ConfigError } from '@app/common';
import { createApp } from './bootstrap.js';
import { httpUrl } from './http/http-url.js';
import { JsonLimitsDeserializer } from './messaging/json-limits.deserializer.js';
import { exitWhenSettled } from './process-exit.js';

const logger = new Logger('Bootstrap');

/** Nest hands arguments after the host on to Node's `server.listen(port, host, backlog)`; its types stop at the host. */
type ListenWithBacklog = (port: number, host: string, backlog: number) => Promise<unknown>;

/**
 * Nest's own shutdown hooks re-raise the signal after closing, so the process ends "killed by SIGTERM";
 * orchestrators and our tests expect a clean exit code once the graceful close has finished.
 */
function exitCleanlyOn(app: INestApplication, signals: NodeJS.Signals[]): void {
  for (const signal of signals) {
    process.once(signal, () => {
      logger.log(`${signal} received: closing`);
      app
        .close()
        .then(() => tracing?.shutdown())
        .then(
          () => exitWhenSettled(0),
          (error: unknown) => {
            logger.error('Shutdown failed', error instanceof Error ? error.stack : String(error));
            exitWhenSettled(1);
          },
        );
    });
  }
}

let app: INestApplication | undefined;
try {
  app = await createApp();
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  if (config.natsUrl) {
    // A queue group: with several replicas, each message is handled by exactly one of them.
    const messages = app.connectMicroservice<MicroserviceOptions>(
      {
        transport: Transport.NATS,
        options: {
          servers: [config.natsUrl],
          queue: 'llm-chat-backend',
          deserializer: new JsonLimitsDeserializer({ maxBytes: config.bodyLimit, maxDepth: config.bodyMaxDepth }),
        },
      },
      // Its own app config (not the HTTP app's global pipes and filters) is out of nestjs-pino's reach: handed over here.
      { deferInitialization: true },
    );
    registerMicroserviceLogging(messages);
    await app.startAllMicroservices();
  }
  await (app.listen as unknown as ListenWithBacklog).call(app, config.port, config.host, config.listenBacklog);
  // The socket's own address: Nest's getUrl() names 127.0.0.1 for a server listening on every interface.
  logger.log(`Listening on ${httpUrl(app.getHttpServer().address() as AddressInfo)}${config.apiDocs ? ' (API docs at /api/docs)' : ''}`);
  // Once started: a close while `listen` is still under way would leave it to bind a closed app. A signal before
  // this ends the process as Node does by default.
  exitCleanlyOn(app, ['SIGTERM', 'SIGINT']);
} catch (error) {
  // Nest logs a failure of its own start (a module's, say) with its stack before rethrowing it; this prints every
  // failure once more, also those outside Nest, a configuration error as its one clear line.
  console.error(error instanceof ConfigError ? error.message : error);
  exitWhenSettled(1);
  // A start that failed at its last steps (the port taken) has a running app: its message consumer and timers stop
  // now, rather than work until the forced exit.
  await app?.close().catch((closeError: unknown) => console.error('Closing the app that failed to start failed too:', closeError));
}
