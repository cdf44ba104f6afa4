import { Body, Controller, Delete, Get, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { DeletedDto } from '../sessions/dto/session-response.dto.js';
import { FolderListDto, FolderNameDto, FolderResponseDto, mapFolder } from './dto/folder.dto.js';
import { FoldersService } from './folders.service.js';

@ApiTags('folders')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such folder for this user' })
@AllowApiKey()
@Controller('folders')
export class FoldersController {
  constructor(private readonly folders: FoldersService) {}

  @Get()
  @ApiOkResponse({ type: FolderListDto })
  async list(@CurrentUser() user: AuthUser): Promise<FolderListDto> {
    return { folders: (await this.folders.list(user.id)).map(mapFolder) };
  }

  @Post()
  @ApiCreatedResponse({ type: FolderResponseDto, description: 'At most 200 folders per user (409 FOLDER_LIMIT_REACHED)' })
  async create(@CurrentUser() user: AuthUser, @Body() dto: FolderNameDto): Promise<FolderResponseDto> {
    return mapFolder(await this.folders.create(user.id, dto.name));
  }

  @Patch(':id')
  @ApiOkResponse({ type: FolderResponseDto })
  async rename(@CurrentUser() user: AuthUser, @UuidParam('id') id: string, @Body() dto: FolderNameDto): Promise<FolderResponseDto> {
    return mapFolder(await this.folders.rename(user.id, id, dto.name));
  }

  @Delete(':id')
  @ApiOkResponse({ type: DeletedDto, description: 'Its sessions stay, outside any folder' })
  async remove(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<DeletedDto> {
    await this.folders.remove(user.id, id);
    return { id, deleted: true };
  }
}
