import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PROVIDER_IDS, type ProviderId } from '@app/ai';
import { type AliasTarget, type ModelAliasEntity, type ModelPolicyEntity, USER_ROLES, type UserRole } from '@app/persistence';

const MAX_PATTERNS = 100;
const MAX_TARGETS = 8;
/** Globs of model names: no braces or extglobs, so that a pattern compiles to a small, linear expression. */
const PATTERN = /^[A-Za-z0-9._:@/*?-]{1,200}$/;
/** No `/`: a bare alias name on /v1 is told apart from `provider/model` by it. */
export const ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TEMPERATURE = { min: 0, max: 2 };

/** One end of the allowed temperature range; null or absent: no bound on that side. */
const TemperatureBound = () =>
  applyDecorators(
    ApiPropertyOptional({ type: Number, nullable: true, minimum: TEMPERATURE.min, maximum: TEMPERATURE.max }),
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }),
    Min(TEMPERATURE.min),
    Max(TEMPERATURE.max),
  );

export class RoleParamDto {
  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES, { message: `role must be one of ${USER_ROLES.join(', ')}` })
  role: UserRole;
}

export class AliasNameParamDto {
  @ApiProperty({ example: 'fast', pattern: ALIAS_NAME.source })
  @Matches(ALIAS_NAME, { message: 'name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name: string;
}

/** A whole policy: what is left out is unlimited (PUT replaces the policy). */
export class ModelPolicyInputDto {
  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: MAX_PATTERNS,
    example: ['openai/gpt-4o*', 'anthropic/*', 'alias/fast'],
    description: '`provider/model` patterns (`*` any characters, `/` included; `?` one); aliases as `alias/<name>`. Absent or null: every model; []: none',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PATTERNS)
  @Matches(PATTERN, { each: true, message: 'each pattern must be 1-200 characters of letters, digits and . _ : @ / * ? -' })
  models?: string[] | null;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1, maximum: 1_000_000, description: 'The most output tokens a reply may ask for; also the default when a request names none' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxOutputTokens?: number | null;

  @TemperatureBound()
  minTemperature?: number | null;

  @TemperatureBound()
  maxTemperature?: number | null;
}

export class ModelPolicyDto {
  @ApiPropertyOptional({ type: [String], nullable: true, description: 'null: every model' }) models: string[] | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) maxOutputTokens: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) minTemperature: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) maxTemperature: number | null;
  @ApiProperty() updatedAt: Date;
}

export class RolePolicyDto {
  @ApiProperty({ enum: USER_ROLES }) role: UserRole;
  @ApiPropertyOptional({ type: ModelPolicyDto, nullable: true, description: 'null: no policy, every model without caps' }) policy: ModelPolicyDto | null;
}

export class RolePolicyListDto {
  @ApiProperty({ type: [RolePolicyDto] }) policies: RolePolicyDto[];
}

export class PolicyDeletedDto {
  @ApiProperty({ example: true }) deleted: true;
}

export class AliasTargetDto {
  @ApiPropertyOptional({ maxLength: 64, description: 'An organisation connection (its id); or give `provider`' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  connection?: string;

  @ApiPropertyOptional({ enum: PROVIDER_IDS, description: "A provider, served as any request to it is (the user's own key, else the organisation's)" })
  @IsOptional()
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider?: ProviderId;

  @ApiProperty({ example: 'gpt-4o-mini', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  model: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 1, description: 'Targets only: the share of replies it gets first' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  weight?: number;
}

export class AliasInputDto {
  @ApiProperty({ type: [AliasTargetDto], minItems: 1, maxItems: MAX_TARGETS, description: 'One is chosen by weight; the others follow if it fails' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TARGETS)
  @IsObject({ each: true, message: 'each target must be an object' })
  @ValidateNested({ each: true })
  @Type(() => AliasTargetDto)
  targets: AliasTargetDto[];

  @ApiPropertyOptional({ type: [AliasTargetDto], maxItems: MAX_TARGETS, description: 'Tried in order once every target has failed' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TARGETS)
  @IsObject({ each: true, message: 'each fallback must be an object' })
  @ValidateNested({ each: true })
  @Type(() => AliasTargetDto)
  fallbacks?: AliasTargetDto[];
}

export class AliasDto {
  @ApiProperty({ example: 'fast' }) name: string;
  @ApiProperty({ type: [AliasTargetDto] }) targets: AliasTarget[];
  @ApiProperty({ type: [AliasTargetDto] }) fallbacks: AliasTarget[];
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class AliasListDto {
  @ApiProperty({ type: [AliasDto] }) aliases: AliasDto[];
}

export class AliasDeletedDto {
  @ApiProperty({ example: 'fast' }) name: string;
  @ApiProperty({ example: true }) deleted: true;
}

export function mapPolicy({ models, maxOutputTokens, minTemperature, maxTemperature, updatedAt }: ModelPolicyEntity): ModelPolicyDto {
  return { models, maxOutputTokens, minTemperature, maxTemperature, updatedAt };
}

/** Absent fields are no limit. */
export function policyFields(dto: ModelPolicyInputDto): Pick<ModelPolicyEntity, 'models' | 'maxOutputTokens' | 'minTemperature' | 'maxTemperature'> {
  return { models: dto.models ?? null, maxOutputTokens: dto.maxOutputTokens ?? null, minTemperature: dto.minTemperature ?? null, maxTemperature: dto.maxTemperature ?? null };
}

export function mapAlias({ name, targets, fallbacks, createdAt, updatedAt }: ModelAliasEntity): AliasDto {
  return { name, targets, fallbacks, createdAt, updatedAt };
}

/** Only the fields a target has, whatever else class-transformer left on the object. */
export function aliasTargets(dtos: readonly AliasTargetDto[] = []) {
  return dtos.map(({ connection, provider, model, weight }) => ({ ...(connection && { connection }), ...(provider && { provider }), model, ...(weight !== undefined && { weight }) }));
}
