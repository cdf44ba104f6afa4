import picomatch from 'picomatch';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';
import type { ModelPolicyEntity } from '@app/persistence';

/** The provider id under which aliases are addressed and allowed (`alias/fast`). */
export const ALIAS_PROVIDER = 'alias';

/** What a request, a session or a preset may name as its provider: a provider, or `alias` (then the model is an alias). */
export const CHOOSABLE_PROVIDERS = [...PROVIDER_IDS, ALIAS_PROVIDER] as const;
export type ChoosableProvider = ProviderId | typeof ALIAS_PROVIDER;

/**
 * One role's or user's policy, ready to ask: which `provider/model` it allows, and its caps. `*` matches across
 * `/` too (bash's rules), so `openrouter/*` allows `openrouter/meta-llama/llama-3`.
 */
export class ModelPolicy {
  private readonly matches: ((ref: string) => boolean) | null;

  constructor(readonly fields: Pick<ModelPolicyEntity, 'models' | 'maxOutputTokens' | 'minTemperature' | 'maxTemperature'>) {
    this.matches = fields.models ? picomatch(fields.models, { bash: true, dot: true }) : null;
  }

  allows(provider: string, model: string): boolean {
    return this.matches ? this.matches(`${provider}/${model}`) : true;
  }

  /**
   * A request's settings within the caps: the temperature moved into the allowed range, the output tokens at
   * most the cap (and the cap when the request names none). Clamped rather than refused: OpenAI clients send
   * their own defaults, which a user cannot always change.
   */
  limit(settings: { temperature: number; maxTokens?: number }): { temperature: number; maxTokens?: number } {
    const { minTemperature, maxTemperature, maxOutputTokens } = this.fields;
    const temperature = Math.min(maxTemperature ?? Infinity, Math.max(minTemperature ?? -Infinity, settings.temperature));
    const maxTokens = maxOutputTokens === null ? settings.maxTokens : Math.min(settings.maxTokens ?? maxOutputTokens, maxOutputTokens);
    return { temperature, ...(maxTokens !== undefined && { maxTokens }) };
  }
}

/** No policy at all: every model, no caps (what a deployment without policies has always done). */
export const UNRESTRICTED = new ModelPolicy({ models: null, maxOutputTokens: null, minTemperature: null, maxTemperature: null });
