import { type INestApplication, RequestMethod, ValidationPipe } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AllExceptionsFilter, appConfig, LOG_LEVELS, validateConfig } from '@app/common';
import { AppModule } from './app.module.js';

/** Everything main.ts and the e2e tests share, so tests exercise the app exactly as it runs. */
export async function createApp(): Promise<NestExpressApplication> {
  validateConfig(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    bodyParser: false,
    bufferLogs: true,
    forceCloseConnections: true,
  });
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  app.useLogger(LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1));

  app.useBodyParser('json', { limit: config.bodyLimit });
  app.set('trust proxy', config.trustProxyHops);
  app.disable('x-powered-by');
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins, credentials: false });
  app.setGlobalPrefix('api', { exclude: [{ path: 'v1/*path', method: RequestMethod.ALL }] });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: false }),
  );
  setUpSwagger(app);
  return app;
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
