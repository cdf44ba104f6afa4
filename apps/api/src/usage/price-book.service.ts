import { Injectable } from '@nestjs/common';
import { ModelPricesRepository } from '@app/persistence';
import type { TokenPrices } from './cost.js';

/** A price row as the rest of the server sees it. */
export interface ModelPrice extends TokenPrices {
  id: string;
  provider: string;
  model: string;
  effectiveFrom: Date;
}

/**
 * Which price applies to a provider's model at a moment. Read from the database each time (one indexed query
 * per reply), so an admin's change applies at once on every replica.
 */
@Injectable()
export class PriceBook {
  constructor(private readonly prices: ModelPricesRepository) {}

  /** The price in force at `at` (default now), or null when the model has none. */
  async priceOf(provider: string, model: string, at: Date = new Date()): Promise<ModelPrice | null> {
    const row = await this.prices.findInForce(provider, model, at);
    if (!row) return null;
    const { id, currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion, effectiveFrom } = row;
    return { id, provider: row.provider, model: row.model, currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion, effectiveFrom };
  }
}
