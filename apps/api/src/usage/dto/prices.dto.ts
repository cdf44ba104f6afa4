import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Max, Min, Validate, type ValidatorConstraintInterface, ValidatorConstraint } from 'class-validator';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';
import type { ModelPriceEntity } from '@app/persistence';
import { MAX_PRICE_PER_MILLION } from '../prices.service.js';

/** Up to six decimals (what the column keeps); a JSON number is read as its decimal text. */
const PRICE = /^\d{1,6}(\.\d{1,6})?$/;
/** Model ids as providers spell them (`gpt-4o`, `llama3.1:8b`, `accounts/x/models/y`); starts with a letter or digit. */
export const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const asDecimalText = ({ value }: { value: unknown }) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value);

@ValidatorConstraint({ name: 'priceInRange' })
class PriceInRange implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && PRICE.test(value) && Number(value) <= MAX_PRICE_PER_MILLION;
  }

  defaultMessage(): string {
    return `$property must be a decimal from 0 to ${MAX_PRICE_PER_MILLION} with at most 6 decimals, per million tokens`;
  }
}

@ValidatorConstraint({ name: 'isoCurrency' })
class IsoCurrency implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && /^[A-Z]{3}$/.test(value) && CURRENCIES.has(value);
  }

  defaultMessage(): string {
    return 'currency must be an ISO 4217 code in capitals, such as USD, EUR or CNY';
  }
}

const PriceField = (description: string) => (target: object, key: string) => {
  ApiProperty({ type: String, example: '2.50', description: `${description}, per million tokens (decimal text; a JSON number is accepted)` })(target, key);
  Transform(asDecimalText)(target, key);
  Validate(PriceInRange)(target, key);
};

/** The amounts an admin sets; shared by creating and changing a price. */
export class PriceAmountsDto {
  @ApiProperty({ example: 'USD', description: 'ISO 4217 currency code' })
  @Validate(IsoCurrency)
  currency: string;

  @PriceField('Prompt tokens not served from a cache')
  inputPerMillion: string;

  @PriceField('Generated tokens other than reasoning tokens')
  outputPerMillion: string;

  @PriceField('Prompt tokens served from the provider\'s cache')
  cachedInputPerMillion: string;

  @PriceField('Reasoning (thinking) tokens')
  reasoningPerMillion: string;

  @ApiPropertyOptional({ maxLength: 500, description: 'Where the price comes from (a pricing page and the date read)' })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  source?: string;
}

export class CreatePriceDto extends PriceAmountsDto {
  @ApiProperty({ enum: PROVIDER_IDS })
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider: ProviderId;

  @ApiProperty({ example: 'gpt-4o-mini', description: 'A model id, or the stem of versions and tags (`gpt-4o` also prices `gpt-4o-2024-08-06`, `llama3.1` prices `llama3.1:8b`)' })
  @Matches(MODEL_ID, { message: 'model must be 1 to 200 letters, digits or . _ : / @ + - and start with a letter or digit' })
  model: string;

  @ApiPropertyOptional({ description: 'ISO 8601: when the price starts to apply (default now); earlier replies keep the price in force then', example: '2026-12-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'effectiveFrom must be an ISO 8601 date or date-time' })
  effectiveFrom?: string;
}

export class ListPricesQueryDto {
  @ApiPropertyOptional({ enum: PROVIDER_IDS })
  @IsOptional()
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider?: ProviderId;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(MODEL_ID, { message: 'model is not a valid model id' })
  model?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 500;
}

export class PriceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider: string;
  @ApiProperty() model: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ example: '2.500000' }) inputPerMillion: string;
  @ApiProperty({ example: '10.000000' }) outputPerMillion: string;
  @ApiProperty({ example: '1.250000' }) cachedInputPerMillion: string;
  @ApiProperty({ example: '10.000000' }) reasoningPerMillion: string;
  @ApiProperty() effectiveFrom: Date;
  @ApiPropertyOptional({ type: String, nullable: true }) source: string | null;
  @ApiProperty() updatedAt: Date;
}

export class PriceListDto {
  @ApiProperty({ type: [PriceDto], description: 'By provider and model, newest price first' }) prices: PriceDto[];
}

export class PriceDeletedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() deleted: true;
}

export function mapPrice(price: ModelPriceEntity): PriceDto {
  return {
    id: price.id,
    provider: price.provider,
    model: price.model,
    currency: price.currency,
    inputPerMillion: price.inputPerMillion,
    outputPerMillion: price.outputPerMillion,
    cachedInputPerMillion: price.cachedInputPerMillion,
    reasoningPerMillion: price.reasoningPerMillion,
    effectiveFrom: price.effectiveFrom,
    source: price.source,
    updatedAt: price.updatedAt,
  };
}
