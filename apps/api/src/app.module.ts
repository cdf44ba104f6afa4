import { Module } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { AiModule } from '@app/ai';
import { CommonModule, CONFIG_SECTIONS, upstreamConfig } from '@app/common';
import { PersistenceModule } from '@app/persistence';
import { AccountModule } from './account/account.module.js';
import { AdminModule } from './admin/admin.module.js';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BudgetsModule } from './budgets/budgets.module.js';
import { OidcModule } from './auth/oidc/oidc.module.js';
import { FilesModule } from './files/files.module.js';
import { FeedbackModule } from './feedback/feedback.module.js';
import { FoldersModule } from './folders/folders.module.js';
import { PresetsModule } from './presets/presets.module.js';
import { ChatModule } from './chat/chat.module.js';
import { GenerationsModule } from './generations/generations.module.js';
import { HealthModule } from './health/health.module.js';
import { GracefulShutdown } from './http/graceful-shutdown.service.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { loggerParams, ROOT_LOGGER } from './observability/pino.logger.js';
import { OpenAiModule } from './openai/openai.module.js';
import { ProvidersModule } from './providers/providers.module.js';
import { RedisModule } from './redis/redis.module.js';
import { RetentionModule } from './retention/retention.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { SharingModule } from './sharing/sharing.module.js';
import { ThrottlingModule } from './throttling/throttling.module.js';
import { TransferModule } from './transfer/transfer.module.js';
import { UsageModule } from './usage/usage.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      load: CONFIG_SECTIONS,
    }),
    CommonModule,
    ObservabilityModule,
    // Nest's logger, and each request's logger on the lines logged while serving it (see pino.logger.ts).
    LoggerModule.forRootAsync({ imports: [ObservabilityModule], inject: [ROOT_LOGGER], useFactory: loggerParams }),
    PersistenceModule.forRoot(),
    RedisModule,
    AiModule.forRootAsync({
      inject: [upstreamConfig.KEY],
      useFactory: (config: ConfigType<typeof upstreamConfig>) => config,
    }),
    ApiKeysModule,
    // Guards run in registration order: authentication first, so throttling can key on the user.
    AuthModule,
    ThrottlingModule,
    // Express tries a request against its router layers one by one (about 120) in the order they were registered:
    // the streaming routes first.
    OpenAiModule,
    ChatModule,
    OidcModule,
    ProvidersModule,
    SessionsModule,
    AccountModule,
    FoldersModule,
    FilesModule,
    PresetsModule,
    FeedbackModule,
    SharingModule,
    TransferModule,
    GenerationsModule,
    HealthModule,
    MessagingModule,
    RetentionModule,
    AdminModule,
    BudgetsModule,
    UsageModule,
  ],
  providers: [GracefulShutdown],
})
export class AppModule {}
