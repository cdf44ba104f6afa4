import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { FilesModule } from '../files/files.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { PresetsModule } from '../presets/presets.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatController } from './chat.controller.js';
import { UiChatController } from './ui-chat.controller.js';
import { ChatService } from './chat.service.js';
import { TitlesService } from './titles.service.js';

@Module({
  imports: [AuthModule, FilesModule, GenerationsModule, PresetsModule, ProvidersModule, RoutingModule, SessionsModule],
  controllers: [ChatController, UiChatController],
  exports: [ChatService],
  providers: [ChatService, TitlesService],
})
export class ChatModule {}
