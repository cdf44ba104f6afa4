import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { appConfig, authConfig, chatConfig, databaseConfig, SecretCipher, upstreamConfig } from '@app/common';
import { PersistenceModule } from '@app/persistence';
import { AuthModule } from './auth/auth.module.js';
import { ThrottlingModule } from './throttling/throttling.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      load: [appConfig, authConfig, chatConfig, databaseConfig, upstreamConfig],
    }),
    PersistenceModule.forRoot(),
    AuthModule,
    ThrottlingModule,
  ],
  providers: [SecretCipher],
})
export class AppModule {}
