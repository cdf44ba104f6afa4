import { type INestApplication, RequestMethod } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication, NestExpressBodyParserOptionsFor } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import helmet from 'helmet';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoRoot } from 'pino';
import { AllExceptionsFilter, appConfig, cacheValidationMetadata, checkJsonLimits, type JsonLimits, inputPipes, validateConfig } from '@app/common';
import { AppModule } from './app.module.js';
import { IMPORT_PATH } from './transfer/transfer.controller.js';
import { coalescePipedWrites } from './http/coalesced-writes.js';
import { keepAliveHint } from './http/keep-alive-hint.js';
import { completeDocument, OPENAPI_EXTRA_MODELS, operationId } from './http/openapi-document.js';
import { httpMetrics } from './observability/http-metrics.middleware.js';
import { MetricsService } from './observability/metrics.service.js';
import { ROOT_LOGGER } from './observability/pino.logger.js';
import { requestLogging } from './observability/request-logging.middleware.js';
import { v1ShapeBeforeRouting } from './openai/openai-exception.filter.js';
import { RATE_LIMIT_HEADERS } from './throttling/throttling.module.js';

/** Everything main.ts and the e2e tests share, so tests exercise the app exactly as it runs. */
export async function createApp(): Promise<NestExpressApplication> {
  validateConfig(process.env);
  // Lines logged while the app is built wait for its logger (JSON, from DI), and are written through it.
  // abortOnError: false: a module that fails to start is thrown to main.ts, which ends the process; Nest's own
  // abort calls process.exit() at once (see process-exit.ts).
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { abortOnError: false, bodyParser: false, bufferLogs: true, forceCloseConnections: true });
  try {
    configure(app);
  } catch (error) {
    // Its modules are up (the database pool among them): closed, so the process can end (main.ts).
    await app.close();
    throw error;
  }
  return app;
}

/** Middleware, parsers, filters, pipes and the API docs, in the order requests meet them. */
function configure(app: NestExpressApplication): void {
  app.useLogger(app.get(Logger));
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  // First, so that every request is logged with its id, even one refused by the body parser or answered by CORS.
  app.use(requestLogging(app.get<PinoRoot>(ROOT_LOGGER)));
  app.use(httpMetrics(app.get(MetricsService)));
  app.use(coalescePipedWrites);
  app.use(keepAliveHint(app.getHttpServer()));

  // Nest's types reserve `verify` for its rawBody option, which this app does not use; body-parser takes it as is.
  const verify = refuseJsonBeyond({ maxBytes: config.bodyLimit, maxDepth: config.bodyMaxDepth });
  // A conversation file is larger than any other body: its route has a parser of its own, which the general one
  // then leaves alone (body-parser skips a body already read).
  const importLimits = { maxBytes: config.importMaxBytes, maxDepth: config.bodyMaxDepth };
  app.use(IMPORT_PATH, json({ limit: config.importMaxBytes, verify: refuseJsonBeyond(importLimits) }));
  app.useBodyParser('json', { limit: config.bodyLimit, verify } as NestExpressBodyParserOptionsFor<'json'>);
  app.set('trust proxy', config.trustProxyHops);
  app.disable('x-powered-by');
  // The app speaks plain HTTP behind a TLS-terminating proxy (or on localhost): no upgrade of sub-requests.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  // A portal on another origin reads the limits, when to retry, the request id to quote in a support ticket, and how
  // long the gateway took before answering (Server-Timing).
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, credentials: false, exposedHeaders: ['X-Request-Id', 'Server-Timing', ...RATE_LIMIT_HEADERS] });
  }
  app.setGlobalPrefix('api', { exclude: [{ path: 'v1/*path', method: RequestMethod.ALL }, { path: 'metrics', method: RequestMethod.GET }] });
  app.useGlobalFilters(new AllExceptionsFilter(v1ShapeBeforeRouting));
  app.useGlobalPipes(...inputPipes());
  cacheValidationMetadata();
  if (config.apiDocs) setUpSwagger(app);
  answerProtocolErrorsInJson(app.getHttpServer() as Server);
}

/**
 * body-parser's hook between reading a body and parsing it: refuses a body nested deeper than the limit (400),
 * at constant cost per byte, before JSON.parse, class-transformer or validation see it. JSON between systems is
 * UTF-8 (RFC 8259), and the scan counts UTF-8 bytes: other charsets are refused (415).
 */
function refuseJsonBeyond(limits: JsonLimits) {
  return (_request: IncomingMessage, _response: ServerResponse, body: Buffer, encoding: string | null): void => {
    if (encoding !== null && encoding !== 'utf-8') throw Object.assign(new Error('JSON must be UTF-8'), { status: 415, type: 'charset.unsupported' });
    const refusal = checkJsonLimits(body, limits);
    if (refusal) throw refusal;
  };
}

/**
 * Requests Node's HTTP parser rejects (headers over its size limit, malformed request lines) never reach Nest;
 * answer them in the same JSON error shape instead of Node's empty reply.
 */
function answerProtocolErrorsInJson(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message: status === 431 ? 'Request headers are too large' : 'Malformed HTTP request' });
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}

function setUpSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('LLM chat backend')
      .setDescription('Chat with several LLM providers; replies stream over Server-Sent Events.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'A personal API key, as Anthropic clients send it' }, 'x-api-key')
      .build(),
    { operationIdFactory: operationId, extraModels: OPENAPI_EXTRA_MODELS },
  );
  SwaggerModule.setup('api/docs', app, completeDocument(document), { jsonDocumentUrl: 'api/docs-json' });
}
