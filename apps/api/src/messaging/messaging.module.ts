import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { ChatModule } from '../chat/chat.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatMessagesController } from './chat-messages.controller.js';

@Module({
  imports: [ApiKeysModule, ChatModule, GenerationsModule, SessionsModule],
  controllers: [ChatMessagesController],
})
export class MessagingModule {}
