import { describe, expect, it } from '@jest/globals';
import { PROVIDER_KINDS } from './chat-provider.interface.js';
import { getProviderInfo, isProviderId, PROVIDER_IDS } from './provider-catalog.js';

describe('provider catalog', () => {
  it('gives every provider a wire format and, unless custom or echo, an https default endpoint', () => {
    for (const id of PROVIDER_IDS) {
      const info = getProviderInfo(id);
      expect(PROVIDER_KINDS).toContain(info.kind);
      if (id === 'custom') expect(info.requiresBaseUrl).toBe(true);
      else if (id !== 'echo' && id !== 'ollama') expect(info.defaultBaseUrl).toMatch(/^https:\/\//);
    }
  });

  it('marks echo as a key-less local demo', () => {
    expect(getProviderInfo('echo')).toEqual(expect.objectContaining({ kind: 'echo', requiresKey: false, defaultModel: 'echo-1' }));
    expect(getProviderInfo('echo').models[0]!.description).toMatch(/demo/);
  });

  it('recognises only known ids', () => {
    expect(isProviderId('openai')).toBe(true);
    expect(isProviderId('__proto__')).toBe(false);
    expect(isProviderId(42)).toBe(false);
  });
});
