import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { OpenAiController } from './openai.controller.js';
import { OpenAiService } from './openai.service.js';

@Module({
  imports: [ChatModule, GenerationsModule, ProvidersModule],
  controllers: [OpenAiController],
  providers: [OpenAiService],
})
export class OpenAiModule {}
