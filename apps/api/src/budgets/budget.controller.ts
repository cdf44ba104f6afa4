import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { BudgetsService } from './budgets.service.js';
import { BudgetDto, mapBudget } from './dto/budgets.dto.js';

/** The caller's own budget, beside their usage. */
@ApiTags('usage')
@ApiBearerAuth()
@AllowApiKey()
@Controller('usage/budget')
export class BudgetController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get()
  @ApiOkResponse({ type: BudgetDto, description: 'Your budget this month, what you spent and what running replies hold' })
  async get(@CurrentUser() user: AuthUser): Promise<BudgetDto> {
    return mapBudget(await this.budgets.view(user.id));
  }
}
