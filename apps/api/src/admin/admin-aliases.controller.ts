import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Roles } from '../auth/roles.decorator.js';
import { ModelAliasesService } from '../routing/model-aliases.service.js';
import { AliasDeletedDto, AliasDto, AliasInputDto, AliasListDto, AliasNameParamDto, aliasTargets, mapAlias } from './dto/model-governance.dto.js';

/** Model aliases: users and /v1 clients ask for `fast`; a weighted target answers, the others and the fallbacks if it fails. */
@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/aliases')
export class AdminAliasesController {
  constructor(private readonly aliases: ModelAliasesService) {}

  @Get()
  @ApiOkResponse({ type: AliasListDto, description: 'By name' })
  async list(): Promise<AliasListDto> {
    return { aliases: (await this.aliases.list()).map(mapAlias) };
  }

  @Get(':name')
  @ApiOkResponse({ type: AliasDto })
  @ApiNotFoundResponse({ description: 'No such alias' })
  async get(@Param() { name }: AliasNameParamDto): Promise<AliasDto> {
    return mapAlias(await this.aliases.get(name));
  }

  @Put(':name')
  @ApiOkResponse({ type: AliasDto, description: 'Created or replaced; applies from the next request on, on every replica' })
  @ApiConflictResponse({ description: 'ALIAS_LIMIT_REACHED' })
  async save(@CurrentUser() admin: AuthUser, @Param() { name }: AliasNameParamDto, @Body() dto: AliasInputDto, @Origin() origin: RequestOrigin): Promise<AliasDto> {
    return mapAlias(await this.aliases.save(admin, name, { targets: aliasTargets(dto.targets), fallbacks: aliasTargets(dto.fallbacks) }, origin));
  }

  @Delete(':name')
  @ApiOkResponse({ type: AliasDeletedDto })
  @ApiNotFoundResponse({ description: 'No such alias' })
  async remove(@CurrentUser() admin: AuthUser, @Param() { name }: AliasNameParamDto, @Origin() origin: RequestOrigin): Promise<AliasDeletedDto> {
    await this.aliases.remove(admin, name, origin);
    return { name, deleted: true };
  }
}
