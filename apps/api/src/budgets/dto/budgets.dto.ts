import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, Validate, type ValidatorConstraintInterface, ValidatorConstraint } from 'class-validator';
import { USER_ROLES, type RoleLimit } from '@app/persistence';
import { formatDecimal, parseDecimal } from '../../usage/money.js';
import type { BudgetView } from '../budgets.service.js';

/** A month's budget for one person: far above any real one, and exact in Redis scripts' numbers (2^53 nano-units). */
export const MAX_MONTHLY_LIMIT = 1_000_000;

@ValidatorConstraint({ name: 'monthlyLimit' })
class WithinMaxLimit implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && Number(value) <= MAX_MONTHLY_LIMIT;
  }

  defaultMessage(): string {
    return `monthlyLimit must be at most ${MAX_MONTHLY_LIMIT}`;
  }
}

export class SetBudgetDto {
  @ApiProperty({ example: '50.00', description: `Per calendar month (UTC), in the budgets' currency: a decimal string with at most 4 places, 0 to ${MAX_MONTHLY_LIMIT}` })
  @IsString({ message: 'monthlyLimit must be a decimal string such as "50.00"' })
  @Matches(/^\d{1,7}(\.\d{1,4})?$/, { message: 'monthlyLimit must be a decimal string such as "50.00", with at most 4 decimal places' })
  @Validate(WithinMaxLimit)
  monthlyLimit: string;
}

export class RoleBudgetDto {
  @ApiProperty({ enum: USER_ROLES }) role: string;
  @ApiProperty({ example: '50.000000000' }) monthlyLimit: string;
  @ApiProperty() updatedAt: Date;
}

export class RoleBudgetsDto {
  @ApiProperty({ example: 'USD', description: 'BUDGET_CURRENCY: every budget is in it' }) currency: string;
  @ApiProperty({ type: [RoleBudgetDto], description: 'Roles without a row have no default budget (unlimited unless a user has their own)' })
  roles: RoleBudgetDto[];
}

export class RoleBudgetRemovedDto {
  @ApiProperty({ enum: USER_ROLES }) role: string;
  @ApiProperty() removed: true;
}

export class BudgetDto {
  @ApiProperty({ example: '2026-12', description: 'The calendar month (UTC)' }) period: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ type: String, nullable: true, example: '50.000000000', description: 'Null: no budget applies (unlimited)' }) monthlyLimit: string | null;
  @ApiProperty({ enum: ['user', 'role'], nullable: true, description: "Whose budget applies: the user's own, else the role's" }) source: 'user' | 'role' | null;
  @ApiProperty({ example: '12.345000000', description: 'The real cost of this month\'s replies so far' }) spent: string;
  @ApiProperty({ example: '0.040000000', description: 'The worst case of the replies running now, held until they end' }) reserved: string;
  @ApiProperty({ type: String, nullable: true, example: '37.615000000', description: 'What new replies may still use; null when unlimited' }) remaining: string | null;
  @ApiProperty({ description: 'When the next month, and its budget, starts' }) resetsAt: Date;
}

export function mapRoleBudget(row: RoleLimit): RoleBudgetDto {
  return { role: row.role, monthlyLimit: formatDecimal(parseDecimal(row.monthlyLimit)), updatedAt: row.updatedAt };
}

export function mapBudget(view: BudgetView): BudgetDto {
  return { ...view };
}
