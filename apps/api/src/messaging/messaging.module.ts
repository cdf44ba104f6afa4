import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ChatMessagesController } from './chat-messages.controller.js';

@Module({
  imports: [ChatModule, GenerationsModule, SessionsModule],
  controllers: [ChatMessagesController],
})
export class MessagingModule {}
