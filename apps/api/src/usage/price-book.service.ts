import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadThroughCache } from '@app/common';
import { type ModelPriceEntity, ModelPricesRepository } from '@app/persistence';
import { ReplicaAnnouncements } from '../redis/replica-announcements.service.js';
import type { TokenPrices } from './cost.js';

/** A price row as the rest of the server sees it. */
export interface ModelPrice extends TokenPrices {
  id: string;
  provider: string;
  model: string;
  effectiveFrom: Date;
}

/** What a read found, and for which moments it is the answer. */
interface KnownPrice {
  price: ModelPrice | null;
  /** From the found row's effective date (any moment, when none was found)... */
  fromMs: number;
  /** ...to the provider's next price's, exclusive. */
  untilMs: number;
}

const CHANGES_CHANNEL = 'prices:changed';
/** A bound for what a missed announcement (Redis reconnecting) can leave stale. */
const TTL_MS = 60_000;
/** Models asked for; any name can be asked for, so the oldest goes past this. */
const MAX_ENTRIES = 10_000;

/**
 * Which price applies to a provider's model at a moment. Each reply needs it twice (its budget's reservation, its
 * charge), so the answer is kept in memory for the moments it holds for: from the found row's effective date to
 * the provider's next dated price. An admin's change clears what this process knows at once and, with
 * REDIS_URL, what every replica knows; only a missed announcement leaves a price stale, for at most a minute.
 */
@Injectable()
export class PriceBook implements OnModuleInit {
  private readonly known: ReadThroughCache<string, KnownPrice>;

  constructor(
    private readonly prices: ModelPricesRepository,
    private readonly announcements: ReplicaAnnouncements,
  ) {
    this.known = new ReadThroughCache((key) => this.read(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1), new Date()), {
      maxEntries: MAX_ENTRIES,
      ttlMs: TTL_MS,
    });
  }

  onModuleInit(): void {
    this.announcements.hear(CHANGES_CHANNEL, () => this.known.forgetAll());
  }

  /** The price in force at `at` (default now), or null when the model has none. */
  async priceOf(provider: string, model: string, at: Date = new Date()): Promise<ModelPrice | null> {
    // A provider id holds no '/', so the first one ends it.
    const known = await this.known.get(`${provider}/${model}`);
    const ms = at.getTime();
    if (known.fromMs <= ms && ms < known.untilMs) return known.price;
    return (await this.read(provider, model, at)).price;
  }

  /** Call after any price was added, changed or deleted: a row may be a stem that other models' prices fall back to. */
  async changed(): Promise<void> {
    this.known.forgetAll();
    await this.announcements.announce(CHANGES_CHANNEL, 'all');
  }

  private async read(provider: string, model: string, at: Date): Promise<KnownPrice> {
    const { price: row, nextChangeAt } = await this.prices.findInForce(provider, model, at);
    const price = row && modelPrice(row);
    // Every row in force at an earlier moment was in force at `at` too, so the answer holds back to its own date.
    return { price, fromMs: price ? price.effectiveFrom.getTime() : -Infinity, untilMs: nextChangeAt ? nextChangeAt.getTime() : Infinity };
  }
}

function modelPrice(row: ModelPriceEntity): ModelPrice {
  const { id, provider, model, currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion, effectiveFrom } = row;
  return { id, provider, model, currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion, effectiveFrom };
}
