import { type INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AllExceptionsFilter, appConfig, parseAppConfig, validateConfig } from '@app/common';
import { AppModule } from './app.module.js';
import { coalescePipedWrites } from './chat/coalesced-writes.js';
import { keepAliveHint } from './chat/keep-alive-hint.js';
import { httpMetrics } from './observability/http-metrics.middleware.js';
import { Metrics } from './observability/metrics.js';
import { createRootLogger, PinoLoggerService } from './observability/pino.logger.js';
import { requestLogging } from './observability/request-logging.middleware.js';

/** Everything main.ts and the e2e tests share, so tests exercise the app exactly as it runs. */
export async function createApp(): Promise<NestExpressApplication> {
  validateConfig(process.env);
  const rootLogger = createRootLogger(parseAppConfig(process.env).logLevel);
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    logger: new PinoLoggerService(rootLogger),
    forceCloseConnections: true,
  });
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.use(requestLogging(rootLogger));
  app.use(httpMetrics(app.get(Metrics)));
  app.use(coalescePipedWrites);
  app.use(keepAliveHint(app.getHttpServer()));

  app.useBodyParser('json', { limit: config.bodyLimit });
  app.set('trust proxy', config.trustProxyHops);
  app.disable('x-powered-by');
  // The app speaks plain HTTP behind a TLS-terminating proxy (or on localhost): no upgrade of sub-requests.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins, credentials: false });
  app.setGlobalPrefix('api', { exclude: [{ path: 'v1/*path', method: RequestMethod.ALL }, { path: 'metrics', method: RequestMethod.GET }] });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  setUpSwagger(app);
  answerProtocolErrorsInJson(app.getHttpServer() as Server);
  return app;
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
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
