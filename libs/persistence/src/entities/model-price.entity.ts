import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * What one provider's model costs per million tokens, from `effectiveFrom` on: a new price is a new row with a
 * later date, so the price in force when a reply was made stays known. Amounts are exact decimals (`numeric`),
 * read as strings: never a float.
 */
@Entity('model_prices')
@Index('UQ_model_prices_model_effective', ['provider', 'model', 'effectiveFrom'], { unique: true })
@Check('CHK_model_prices_non_negative', `"input_per_million" >= 0 AND "output_per_million" >= 0 AND "cached_input_per_million" >= 0 AND "reasoning_per_million" >= 0`)
@Check('CHK_model_prices_currency', `"currency" ~ '^[A-Z]{3}$'`)
export class ModelPriceEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'PK_model_prices' })
  id: string;

  @Column({ type: 'varchar', length: 32 })
  provider: string;

  /** A model id, or the stem of versions and tags (`gpt-4o` prices `gpt-4o-2024-08-06`, `llama3.1` prices `llama3.1:8b`, unless they have rows of their own). */
  @Column({ type: 'varchar', length: 200 })
  model: string;

  /** ISO 4217 code. */
  @Column({ type: 'varchar', length: 3 })
  currency: string;

  @Column({ name: 'input_per_million', type: 'numeric', precision: 14, scale: 6 })
  inputPerMillion: string;

  @Column({ name: 'output_per_million', type: 'numeric', precision: 14, scale: 6 })
  outputPerMillion: string;

  @Column({ name: 'cached_input_per_million', type: 'numeric', precision: 14, scale: 6 })
  cachedInputPerMillion: string;

  @Column({ name: 'reasoning_per_million', type: 'numeric', precision: 14, scale: 6 })
  reasoningPerMillion: string;

  @Column({ name: 'effective_from', type: 'timestamptz' })
  effectiveFrom: Date;

  /** Where the price was read (a pricing page and the date), or who entered it. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  source: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
