import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ModelPriceEntity } from '../entities/model-price.entity.js';

export type NewModelPrice = Pick<
  ModelPriceEntity,
  'provider' | 'model' | 'currency' | 'inputPerMillion' | 'outputPerMillion' | 'cachedInputPerMillion' | 'reasoningPerMillion' | 'effectiveFrom' | 'source'
>;
export type ModelPriceChange = Pick<ModelPriceEntity, 'currency' | 'inputPerMillion' | 'outputPerMillion' | 'cachedInputPerMillion' | 'reasoningPerMillion' | 'source'>;

export interface PriceInForce {
  price: ModelPriceEntity | null;
  /** When the provider's next price takes effect (any of its models), or null when none is dated later. */
  nextChangeAt: Date | null;
}

/** The price table: shared by everyone, written by admins only (no owner to scope by). */
@Injectable()
export class ModelPricesRepository {
  constructor(@InjectRepository(ModelPriceEntity) private readonly prices: Repository<ModelPriceEntity>) {}

  /** By provider and model, newest price first; at most `limit` rows. */
  list(filter: { provider?: string; model?: string }, limit: number): Promise<ModelPriceEntity[]> {
    const query = this.prices.createQueryBuilder('p').orderBy('p.provider').addOrderBy('p.model').addOrderBy('p.effective_from', 'DESC').limit(limit);
    if (filter.provider !== undefined) query.andWhere('p.provider = :provider', { provider: filter.provider });
    if (filter.model !== undefined) query.andWhere('p.model = :model', { model: filter.model });
    return query.getMany();
  }

  count(): Promise<number> {
    return this.prices.count();
  }

  findById(id: string): Promise<ModelPriceEntity | null> {
    return this.prices.findOneBy({ id });
  }

  /**
   * The price in force at `at`: the row of the model itself, else of the longest stem it extends by `-` or `:`
   * (`gpt-4o` for `gpt-4o-2024-08-06`, `llama3.1` for `llama3.1:8b`; never `gpt-4o` for `gpt-4o-mini` when that
   * has a row); the latest effective date not after `at`. Also when the provider's next price after `at` takes
   * effect, until which the answer holds for any later moment. One query on the provider's few rows.
   */
  async findInForce(provider: string, model: string, at: Date): Promise<PriceInForce> {
    // Plain SQL: it runs for every reply, and TypeORM's query builder and hydration cost more CPU than the query.
    const [row]: (ModelPriceEntity & { nextChangeAt: Date | null })[] = await this.prices.manager.query(
      `SELECT p.*, n.next AS "nextChangeAt"
         FROM (SELECT min(effective_from) AS next FROM model_prices WHERE provider = $1 AND effective_from > $3) n
         LEFT JOIN LATERAL (
           SELECT id, provider, model, currency, input_per_million AS "inputPerMillion", output_per_million AS "outputPerMillion",
                  cached_input_per_million AS "cachedInputPerMillion", reasoning_per_million AS "reasoningPerMillion",
                  effective_from AS "effectiveFrom", source, created_at AS "createdAt", updated_at AS "updatedAt"
             FROM model_prices
            WHERE provider = $1 AND (model = $2 OR left($2, length(model) + 1) IN (model || '-', model || ':')) AND effective_from <= $3
            ORDER BY length(model) DESC, effective_from DESC
            LIMIT 1) p ON true`,
      [provider, model, at],
    );
    const { nextChangeAt, ...price } = row!;
    return { price: price.id ? price : null, nextChangeAt };
  }

  /** The new row, or null when the model already has a price from that moment. */
  async insert(price: NewModelPrice): Promise<ModelPriceEntity | null> {
    const rows = await this.prices
      .createQueryBuilder()
      .insert()
      .values(price)
      .orIgnore()
      .returning('*')
      .execute();
    const id = (rows.raw as { id?: string }[])[0]?.id;
    return id ? this.findById(id) : null;
  }

  async update(id: string, change: ModelPriceChange): Promise<ModelPriceEntity | null> {
    const result = await this.prices.update({ id }, change);
    return result.affected ? this.findById(id) : null;
  }

  /** The deleted row, or null when there was none. */
  async remove(id: string): Promise<ModelPriceEntity | null> {
    const price = await this.findById(id);
    if (!price) return null;
    const result = await this.prices.delete({ id });
    return result.affected ? price : null;
  }
}
