import { type DynamicModule, Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { databaseConfig } from '@app/common';
import { buildDataSourceOptions } from './data-source.options.js';
import { ENTITIES } from './entities/index.js';
import { ApiKeysRepository } from './repositories/api-keys.repository.js';
import { AuditEventsRepository } from './repositories/audit-events.repository.js';
import { BudgetsRepository } from './repositories/budgets.repository.js';
import { ChatSessionsRepository } from './repositories/chat-sessions.repository.js';
import { ChatTurnsRepository } from './repositories/chat-turns.repository.js';
import { ConversationTransferRepository } from './repositories/conversation-transfer.repository.js';
import { FilesRepository } from './repositories/files.repository.js';
import { FoldersRepository } from './repositories/folders.repository.js';
import { LoginCodesRepository } from './repositories/login-codes.repository.js';
import { MessageFeedbackRepository } from './repositories/message-feedback.repository.js';
import { MessagesRepository } from './repositories/messages.repository.js';
import { ProviderConnectionsRepository } from './repositories/provider-connections.repository.js';
import { ModelGovernanceRepository } from './repositories/model-governance.repository.js';
import { ModelPricesRepository } from './repositories/model-prices.repository.js';
import { PresetsRepository } from './repositories/presets.repository.js';
import { ProviderCredentialsRepository } from './repositories/provider-credentials.repository.js';
import { RefreshTokensRepository } from './repositories/refresh-tokens.repository.js';
import { SharedLinksRepository } from './repositories/shared-links.repository.js';
import { UsageRecordsRepository } from './repositories/usage-records.repository.js';
import { UsersRepository } from './repositories/users.repository.js';

const REPOSITORIES = [
  ApiKeysRepository,
  UsersRepository,
  ProviderCredentialsRepository,
  ChatSessionsRepository,
  ChatTurnsRepository,
  MessagesRepository,
  AuditEventsRepository,
  LoginCodesRepository,
  RefreshTokensRepository,
  FoldersRepository,
  FilesRepository,
  MessageFeedbackRepository,
  SharedLinksRepository,
  ConversationTransferRepository,
  ProviderConnectionsRepository,
  ModelGovernanceRepository,
  BudgetsRepository,
  ModelPricesRepository,
  UsageRecordsRepository,
  PresetsRepository,
];

/** The database connection and our intention-named repositories; nothing else touches TypeORM. */
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY],
          useFactory: (config: ConfigType<typeof databaseConfig>) => buildDataSourceOptions(config),
        }),
        TypeOrmModule.forFeature(ENTITIES),
      ],
      providers: REPOSITORIES,
      exports: REPOSITORIES,
    };
  }
}
