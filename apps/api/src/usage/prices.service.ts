import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type ModelPriceEntity, ModelPricesRepository, type NewModelPrice } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import { AuditService } from '../audit/audit.service.js';
import type { RequestOrigin } from '../audit/request-origin.decorator.js';
import type { PriceAmountsDto } from './dto/prices.dto.js';
import { PriceBook } from './price-book.service.js';

/** Per million tokens: far above any list price, low enough that no sum of replies can overflow the cost column. */
export const MAX_PRICE_PER_MILLION = 10_000;
/** Rows in the price table; a listing returns them all. */
export const MAX_PRICES = 1_000;
/** Effective dates an admin may set: not before any model was sold, not years ahead. */
const EARLIEST_EFFECTIVE = Date.UTC(2020, 0, 1);
const LATEST_EFFECTIVE_AHEAD_MS = 5 * 366 * 24 * 3600 * 1000;

export interface NewPrice extends PriceAmountsDto {
  provider: string;
  model: string;
  effectiveFrom?: string;
}

/** The admins' side of the price table: every change audited. */
@Injectable()
export class PricesService {
  constructor(
    private readonly prices: ModelPricesRepository,
    private readonly book: PriceBook,
    private readonly audit: AuditService,
  ) {}

  list(filter: { provider?: string; model?: string }, limit: number): Promise<ModelPriceEntity[]> {
    return this.prices.list(filter, limit);
  }

  async create(admin: AuthUser, price: NewPrice, origin: RequestOrigin): Promise<ModelPriceEntity> {
    const effectiveFrom = effectiveDate(price.effectiveFrom);
    if ((await this.prices.count()) >= MAX_PRICES) throw new AppError('PRICE_LIMIT_REACHED', `The price table holds at most ${MAX_PRICES} rows: delete old ones first`);
    const row: NewModelPrice = { ...amounts(price), provider: price.provider, model: price.model, effectiveFrom };
    const created = await this.prices.insert(row);
    if (!created) throw new AppError('PRICE_EXISTS', 'This model already has a price from that moment: change that one, or give another effectiveFrom');
    await this.book.changed();
    await this.audit.record({ actor: admin.id, action: 'price.created', target: created.id, detail: describe(created) }, origin);
    return created;
  }

  async update(admin: AuthUser, id: string, change: PriceAmountsDto, origin: RequestOrigin): Promise<ModelPriceEntity> {
    const updated = await this.prices.update(id, amounts(change));
    if (!updated) throw new AppError('PRICE_NOT_FOUND', 'No such price');
    await this.book.changed();
    await this.audit.record({ actor: admin.id, action: 'price.updated', target: id, detail: describe(updated) }, origin);
    return updated;
  }

  async remove(admin: AuthUser, id: string, origin: RequestOrigin): Promise<void> {
    const removed = await this.prices.remove(id);
    if (!removed) throw new AppError('PRICE_NOT_FOUND', 'No such price');
    await this.book.changed();
    await this.audit.record({ actor: admin.id, action: 'price.deleted', target: id, detail: describe(removed) }, origin);
  }
}

function amounts(price: PriceAmountsDto) {
  const { currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion } = price;
  return { currency, inputPerMillion, outputPerMillion, cachedInputPerMillion, reasoningPerMillion, source: price.source ?? null };
}

function effectiveDate(text: string | undefined): Date {
  if (text === undefined) return new Date();
  const date = new Date(text);
  if (Number.isNaN(date.getTime()) || date.getTime() < EARLIEST_EFFECTIVE || date.getTime() > Date.now() + LATEST_EFFECTIVE_AHEAD_MS) {
    throw new AppError('VALIDATION_FAILED', 'effectiveFrom must be a real date from 2020 to five years ahead');
  }
  return date;
}

function describe(price: ModelPriceEntity) {
  return {
    provider: price.provider,
    model: price.model,
    currency: price.currency,
    input: price.inputPerMillion,
    output: price.outputPerMillion,
    cachedInput: price.cachedInputPerMillion,
    reasoning: price.reasoningPerMillion,
    effectiveFrom: price.effectiveFrom.toISOString(),
  };
}
