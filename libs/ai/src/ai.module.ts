import { type DynamicModule, type InjectionToken, Module } from '@nestjs/common';
import { CHAT_PROVIDERS } from './chat-provider.interface.js';
import { UpstreamHttpClient } from './http/upstream-http.client.js';
import { UPSTREAM_HTTP_OPTIONS, type UpstreamHttpOptions } from './http/upstream-http.options.js';
import { ProviderRegistry } from './provider.registry.js';
import { AnthropicStrategy } from './providers/anthropic.strategy.js';
import { EchoStrategy } from './providers/echo.strategy.js';
import { GeminiStrategy } from './providers/gemini.strategy.js';
import { OpenAiStrategy } from './providers/openai.strategy.js';

/** Adding a wire format: one strategy file, one entry here. */
const STRATEGIES = [OpenAiStrategy, AnthropicStrategy, GeminiStrategy, EchoStrategy];

@Module({})
export class AiModule {
  static forRootAsync(options: { inject: InjectionToken[]; useFactory: (...args: never[]) => UpstreamHttpOptions }): DynamicModule {
    return {
      module: AiModule,
      global: true,
      providers: [
        { provide: UPSTREAM_HTTP_OPTIONS, inject: options.inject, useFactory: options.useFactory },
        UpstreamHttpClient,
        ...STRATEGIES,
        { provide: CHAT_PROVIDERS, inject: STRATEGIES, useFactory: (...strategies: unknown[]) => strategies },
        ProviderRegistry,
      ],
      exports: [UpstreamHttpClient, ProviderRegistry],
    };
  }
}
