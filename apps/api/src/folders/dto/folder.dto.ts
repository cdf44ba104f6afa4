import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import type { FolderEntity } from '@app/persistence';

export const MAX_FOLDER_NAME_LENGTH = 100;

export class FolderNameDto {
  @ApiProperty({ minLength: 1, maxLength: MAX_FOLDER_NAME_LENGTH })
  @IsString()
  @Length(1, MAX_FOLDER_NAME_LENGTH, { message: `name must be between 1 and ${MAX_FOLDER_NAME_LENGTH} characters` })
  @Matches(/^\S(.*\S)?$/s, { message: 'name must not be blank or start or end with spaces' })
  name: string;
}

export class FolderResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class FolderListDto {
  @ApiProperty({ type: [FolderResponseDto], description: 'Oldest first' }) folders: FolderResponseDto[];
}

export function mapFolder(folder: FolderEntity): FolderResponseDto {
  const { id, name, createdAt, updatedAt } = folder;
  return { id, name, createdAt, updatedAt };
}
