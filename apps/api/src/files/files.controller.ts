import { Controller, Delete, Get, HttpCode, Post, Query, Res, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { DeletedDto } from '../sessions/dto/session-response.dto.js';
import { FilePageDto, FileResponseDto, ListFilesQueryDto, mapFile, UploadFileDto } from './dto/file.dto.js';
import { ALLOWED_FILE_TYPES } from './file-types.js';
import { FilesService, type UploadedBytes } from './files.service.js';

@ApiTags('files')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such file for this user' })
@AllowApiKey()
@Controller('files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadFileDto })
  @ApiCreatedResponse({ type: FileResponseDto, description: 'Attach it to a chat message with `attachments: [id]`' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than FILES_MAX_BYTES: nothing is stored' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not PNG, JPEG, WebP, GIF or PDF by its content (FILE_TYPE_NOT_ALLOWED)' })
  @ApiConflictResponse({ description: 'FILES_MAX_PER_USER reached (FILE_LIMIT_REACHED)' })
  async upload(@CurrentUser() user: AuthUser, @UploadedFile() file: UploadedBytes | undefined): Promise<FileResponseDto> {
    return mapFile(await this.files.upload(user.id, file));
  }

  @Get()
  @ApiOkResponse({ type: FilePageDto })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListFilesQueryDto): Promise<FilePageDto> {
    const page = await this.files.list(user.id, query.limit, query.cursor);
    return { files: page.files.map(mapFile), nextCursor: page.nextCursor };
  }

  @Get(':id/meta')
  @ApiOkResponse({ type: FileResponseDto })
  async meta(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<FileResponseDto> {
    return mapFile(await this.files.get(user.id, id));
  }

  /** Always a download (never rendered inline by a browser on our origin), with its type read at upload. */
  @Get(':id')
  @ApiProduces(...ALLOWED_FILE_TYPES)
  @ApiOkResponse({ description: 'The bytes, as `Content-Disposition: attachment`', schema: { type: 'string', format: 'binary' } })
  async download(@CurrentUser() user: AuthUser, @UuidParam('id') id: string, @Res({ passthrough: true }) response: Response): Promise<StreamableFile> {
    const { file, bytes } = await this.files.download(user.id, id);
    response.attachment(file.filename);
    response.setHeader('Content-Type', file.mediaType);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    return new StreamableFile(bytes, { length: bytes.length });
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOkResponse({ type: DeletedDto, description: 'Messages it was attached to keep their text; the file is no longer sent with them' })
  async remove(@CurrentUser() user: AuthUser, @UuidParam('id') id: string): Promise<DeletedDto> {
    await this.files.remove(user.id, id);
    return { id, deleted: true };
  }
}
