import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export const EXPORT_FORMATS = ['json', 'markdown'] as const;

export class ExportQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'json', description: '`json`: every branch, with the one shown (importable); `markdown`: the branch shown' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
  format: (typeof EXPORT_FORMATS)[number] = 'json';
}

export class ImportedSessionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() messages: number;
}

export class ImportReportDto {
  @ApiProperty({ type: [ImportedSessionDto], description: 'The new sessions, in the order of the file' }) sessions: ImportedSessionDto[];
  @ApiProperty({ description: 'Messages imported in all' }) messages: number;
}
