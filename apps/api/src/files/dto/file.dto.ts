import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { StoredFile } from '@app/persistence';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { ALLOWED_FILE_TYPES } from '../file-types.js';

/** The multipart body of an upload, for the API documentation (multer reads the real one). */
export class UploadFileDto {
  @ApiProperty({ type: 'string', format: 'binary', description: `PNG, JPEG, WebP, GIF or PDF; the type is read from the content, the declared one is ignored` })
  file: unknown;
}

export class FileResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ALLOWED_FILE_TYPES, description: 'Read from the content' }) mediaType: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ description: 'SHA-256 of the content, hex' }) sha256: string;
  @ApiProperty({ description: 'The name sent, made safe (a label only)' }) filename: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The session it was first attached to, which it is deleted with' }) sessionId: string | null;
  @ApiProperty() createdAt: Date;
}

export class ListFilesQueryDto extends PageQueryDto {}

export class FilePageDto {
  @ApiProperty({ type: [FileResponseDto], description: 'Newest first' }) files: FileResponseDto[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Pass as `cursor` to get the next page; null on the last page' }) nextCursor: string | null;
}

export function mapFile(file: StoredFile): FileResponseDto {
  const { id, mediaType, size, sha256, filename, sessionId, createdAt } = file;
  return { id, mediaType, size, sha256, filename, sessionId, createdAt };
}
