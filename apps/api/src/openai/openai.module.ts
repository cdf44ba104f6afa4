import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { GenerationsModule } from '../generations/generations.module.js';
import { ProvidersModule } from '../providers/providers.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { AnthropicMessagesController } from './anthropic-messages.controller.js';
import { OpenAiController } from './openai.controller.js';
import { OpenAiService } from './openai.service.js';

/** The /v1 APIs other clients speak: OpenAI's chat completions and Anthropic's messages, over every provider. */
@Module({
  imports: [ChatModule, GenerationsModule, ProvidersModule, RoutingModule],
  controllers: [OpenAiController, AnthropicMessagesController],
  providers: [OpenAiService],
})
export class OpenAiModule {}
