import { describe, expect, it } from '@jest/globals';
import { ModelPolicy, UNRESTRICTED } from './model-policy.js';

const policy = (fields: Partial<ConstructorParameters<typeof ModelPolicy>[0]>) =>
  new ModelPolicy({ models: null, maxOutputTokens: null, minTemperature: null, maxTemperature: null, ...fields });

describe('ModelPolicy', () => {
  it('allows provider/model patterns, `*` across slashes too, aliases by name', () => {
    const allowed = policy({ models: ['openai/gpt-4o*', 'openrouter/*', 'alias/fast'] });
    expect(allowed.allows('openai', 'gpt-4o-mini')).toBe(true);
    expect(allowed.allows('openai', 'gpt-4.1')).toBe(false);
    expect(allowed.allows('openrouter', 'meta-llama/llama-3-70b')).toBe(true);
    expect(allowed.allows('alias', 'fast')).toBe(true);
    expect(allowed.allows('alias', 'slow')).toBe(false);
    expect(policy({ models: [] }).allows('echo', 'echo-1')).toBe(false);
    expect(UNRESTRICTED.allows('anything', 'at/all')).toBe(true);
  });

  it('clamps the temperature into its range and the output tokens to the cap, the cap being the default', () => {
    const capped = policy({ maxOutputTokens: 100, minTemperature: 0.2, maxTemperature: 0.8 });
    expect(capped.limit({ temperature: 1.5, maxTokens: 500 })).toEqual({ temperature: 0.8, maxTokens: 100 });
    expect(capped.limit({ temperature: 0 })).toEqual({ temperature: 0.2, maxTokens: 100 });
    expect(capped.limit({ temperature: 0.5, maxTokens: 20 })).toEqual({ temperature: 0.5, maxTokens: 20 });
    expect(UNRESTRICTED.limit({ temperature: 1.9 })).toEqual({ temperature: 1.9 });
  });
});
