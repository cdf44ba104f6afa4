import { Inject, Injectable } from '@nestjs/common';
import { CHAT_PROVIDERS, type ChatProvider, PROVIDER_KINDS, type ProviderKind } from './chat-provider.interface.js';
import { getProviderInfo, type ProviderId } from './provider-catalog.js';

/** Picks the strategy that speaks a provider's wire format; refuses to start with a wire format nobody speaks. */
@Injectable()
export class ProviderRegistry {
  private readonly byKind: Map<ProviderKind, ChatProvider>;

  constructor(@Inject(CHAT_PROVIDERS) strategies: ChatProvider[]) {
    this.byKind = new Map(strategies.map((strategy) => [strategy.kind, strategy]));
    const missing = PROVIDER_KINDS.filter((kind) => !this.byKind.has(kind));
    if (missing.length) throw new Error(`No strategy registered for provider kind(s) ${missing.join(', ')}`);
  }

  forProvider(id: ProviderId): ChatProvider {
    return this.byKind.get(getProviderInfo(id).kind)!;
  }
}
