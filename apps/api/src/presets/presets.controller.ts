import { Body, Controller, Delete, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { DeletedDto } from '../sessions/dto/session-response.dto.js';
import { CreatePresetDto, ListPresetsQueryDto, mapPreset, PresetPageDto, PresetResponseDto, UpdatePresetDto } from './dto/preset.dto.js';
import { MAX_PRESETS_PER_USER, PresetsService } from './presets.service.js';

@ApiTags('presets')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such preset for this user' })
@AllowApiKey()
@Controller('presets')
export class PresetsController {
  constructor(private readonly presets: PresetsService) {}

  @Get()
  @ApiOkResponse({ type: PresetPageDto })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListPresetsQueryDto): Promise<PresetPageDto> {
    const page = await this.presets.list(user.id, query.limit, query.cursor);
    return { presets: page.presets.map(mapPreset), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiCreatedResponse({ type: PresetResponseDto })
  @ApiConflictResponse({ description: `At most ${MAX_PRESETS_PER_USER} presets per user (PRESET_LIMIT_REACHED)` })
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreatePresetDto): Promise<PresetResponseDto> {
    return mapPreset(await this.presets.create(user.id, dto));
  }

  @Get(':id')
  @ApiOkResponse({ type: PresetResponseDto })
  async get(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<PresetResponseDto> {
    return mapPreset(await this.presets.get(user.id, id));
  }

  @Patch(':id')
  @ApiOkResponse({ type: PresetResponseDto, description: 'Fields left out stay as they are; null clears a setting' })
  async update(@CurrentUser() user: AuthUser, @UuidParam('id') id: string, @Body() dto: UpdatePresetDto): Promise<PresetResponseDto> {
    return mapPreset(await this.presets.update(user.id, id, dto));
  }

  @Delete(':id')
  @ApiOkResponse({ type: DeletedDto, description: 'Sessions started from it keep their settings' })
  async remove(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<DeletedDto> {
    await this.presets.remove(user.id, id);
    return { id, deleted: true };
  }
}
