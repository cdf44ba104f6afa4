import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Origin, type RequestOrigin } from '../audit/request-origin.decorator.js';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyListDto, CreateApiKeyDto, CreatedApiKeyDto, mapApiKey } from './dto/api-key.dto.js';

@ApiTags('api keys')
@ApiBearerAuth()
@Controller('keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The secret is in `key`, shown only in this answer' })
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto, @Origin() origin: RequestOrigin): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.keys.create(user.id, dto.name, origin);
    return { ...mapApiKey(key), key: secret };
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@CurrentUser() user: AuthUser): Promise<ApiKeyListDto> {
    return { keys: (await this.keys.list(user.id)).map(mapApiKey) };
  }

  @Delete(':id')
  @ApiOkResponse({ description: 'Revoked: the key stops working at once' })
  @ApiNotFoundResponse({ description: 'No such key for this user' })
  async revoke(@CurrentUser() user: AuthUser, @Param('id', ParseUUIDPipe) id: string, @Origin() origin: RequestOrigin): Promise<{ id: string; deleted: true }> {
    await this.keys.revoke(user.id, id, origin);
    return { id, deleted: true };
  }
}
