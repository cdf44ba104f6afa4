import { describe, expect, it } from '@jest/globals';
import { EMPTY } from 'rxjs';
import { type ChatProvider, PROVIDER_KINDS, type ProviderKind } from './chat-provider.interface.js';
import { PROVIDER_IDS, getProviderInfo } from './provider-catalog.js';
import { ProviderRegistry } from './provider.registry.js';

const strategy = (kind: ProviderKind): ChatProvider => ({ kind, stream: () => EMPTY });

describe('ProviderRegistry', () => {
  it('gives every catalogued provider the strategy of its wire format', () => {
    const registry = new ProviderRegistry(PROVIDER_KINDS.map(strategy));
    for (const id of PROVIDER_IDS) expect(registry.forProvider(id).kind).toBe(getProviderInfo(id).kind);
  });

  it('refuses to start when a wire format has no strategy', () => {
    expect(() => new ProviderRegistry(PROVIDER_KINDS.filter((kind) => kind !== 'gemini').map(strategy))).toThrow(/gemini/);
  });
});
