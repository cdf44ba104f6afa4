import { Body, Controller, Delete, Get, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { CreatePriceDto, ListPricesQueryDto, mapPrice, PriceAmountsDto, PriceDeletedDto, PriceDto, PriceListDto } from './dto/prices.dto.js';
import { PricesService } from './prices.service.js';

const PriceId = () => UuidParam('id');

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/prices')
export class AdminPricesController {
  constructor(private readonly prices: PricesService) {}

  @Get()
  @ApiOkResponse({ type: PriceListDto, description: 'The price table, with its history (one row per model and effective date)' })
  async list(@Query() query: ListPricesQueryDto): Promise<PriceListDto> {
    const rows = await this.prices.list({ provider: query.provider, model: query.model }, query.limit);
    return { prices: rows.map(mapPrice) };
  }

  @Post()
  @ApiCreatedResponse({ type: PriceDto, description: 'A new price for a model from `effectiveFrom` on; replies before it keep the older price' })
  @ApiConflictResponse({ description: 'PRICE_EXISTS: the model has a price from that very moment; PRICE_LIMIT_REACHED: the table is full' })
  async create(@CurrentUser() admin: AuthUser, @Body() dto: CreatePriceDto, @Origin() origin: RequestOrigin): Promise<PriceDto> {
    return mapPrice(await this.prices.create(admin, dto, origin));
  }

  @Put(':id')
  @ApiOkResponse({ type: PriceDto, description: 'Corrects a price row in place (it applies to the costs recorded from now on)' })
  @ApiNotFoundResponse({ description: 'PRICE_NOT_FOUND' })
  async update(@CurrentUser() admin: AuthUser, @PriceId() id: string, @Body() dto: PriceAmountsDto, @Origin() origin: RequestOrigin): Promise<PriceDto> {
    return mapPrice(await this.prices.update(admin, id, dto, origin));
  }

  @Delete(':id')
  @ApiOkResponse({ type: PriceDeletedDto })
  @ApiNotFoundResponse({ description: 'PRICE_NOT_FOUND' })
  async remove(@CurrentUser() admin: AuthUser, @PriceId() id: string, @Origin() origin: RequestOrigin): Promise<PriceDeletedDto> {
    await this.prices.remove(admin, id, origin);
    return { id, deleted: true };
  }
}
