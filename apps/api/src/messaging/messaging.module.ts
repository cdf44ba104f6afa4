import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatMessagesController } from './chat-messages.controller.js';

@Module({
  imports: [ChatModule, SessionsModule],
  controllers: [ChatMessagesController],
})
export class MessagingModule {}
