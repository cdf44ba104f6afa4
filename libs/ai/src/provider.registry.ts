import { Inject, Injectable } from '@nestjs/common';
import { CHAT_PROVIDERS, type ChatProvider, type ProviderKind } from './chat-provider.interface.js';
import { getProviderInfo, type ProviderId } from './provider-catalog.js';

/** Picks the strategy that speaks a provider's wire format. */
@Injectable()
export class ProviderRegistry {
  private readonly byKind: Map<ProviderKind, ChatProvider>;

  constructor(@Inject(CHAT_PROVIDERS) strategies: ChatProvider[]) {
    this.byKind = new Map(strategies.map((strategy) => [strategy.kind, strategy]));
  }

  forProvider(id: ProviderId): ChatProvider {
    const { kind } = getProviderInfo(id);
    const strategy = this.byKind.get(kind);
    if (!strategy) throw new Error(`No strategy registered for provider kind "${kind}"`);
    return strategy;
  }
}
