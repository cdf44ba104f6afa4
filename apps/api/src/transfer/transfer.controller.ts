import { Body, Controller, Get, Logger, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiPayloadTooLargeResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { SessionId } from '../sessions/session-id.param.js';
import { ExportQueryDto, ImportReportDto } from './dto/transfer.dto.js';
import { TransferService } from './transfer.service.js';

/** Where conversation files are posted: the bootstrap gives this path a body limit of its own (CHAT_IMPORT_MAX_BYTES). */
export const IMPORT_PATH = '/api/chat/import';

@ApiTags('export and import')
@ApiBearerAuth()
@AllowApiKey()
@Controller('chat')
export class TransferController {
  private readonly logger = new Logger(TransferController.name);

  constructor(private readonly transfer: TransferService) {}

  @Get('sessions/:id/export')
  @ApiProduces('application/json', 'text/markdown')
  @ApiOkResponse({ description: 'A file: our JSON format (importable) or Markdown' })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  async exportSession(@CurrentUser() user: AuthUser, @SessionId() id: string, @Query() query: ExportQueryDto): Promise<StreamableFile> {
    const file = await this.transfer.exportSession(user.id, id, query.format);
    const [type, extension] = query.format === 'json' ? ['application/json', 'json'] : ['text/markdown', 'md'];
    return new StreamableFile(Buffer.from(file), { type: `${type}; charset=utf-8`, disposition: `attachment; filename="chat-${id}.${extension}"` });
  }

  @Get('export')
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'Every session of yours, one JSON line each (the format of a single JSON export), streamed' })
  async exportAll(@CurrentUser() user: AuthUser): Promise<StreamableFile> {
    const file = new StreamableFile(Readable.from(await this.transfer.exportAll(user.id)), {
      type: 'application/x-ndjson; charset=utf-8',
      disposition: 'attachment; filename="conversations.jsonl"',
    });
    // Once lines are sent the status is too: a failure later cuts the connection, so that the client sees an
    // incomplete download rather than a file that merely looks shorter.
    return file.setErrorHandler((error, response) => {
      this.logger.warn(`Export of user ${user.id} stopped: ${error.message}`);
      response.destroy?.();
    });
  }

  @Post('import')
  @ApiBody({ description: 'One conversation of our JSON export, a list of them, or ChatGPT\'s conversations.json', schema: { oneOf: [{ type: 'object' }, { type: 'array' }] } })
  @ApiCreatedResponse({ type: ImportReportDto, description: 'Everything was imported, as new sessions; a file with any problem is refused whole (400) and writes nothing' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than CHAT_IMPORT_MAX_BYTES' })
  import(@CurrentUser() user: AuthUser, @Body() body: unknown): Promise<ImportReportDto> {
    return this.transfer.import(user.id, body);
  }
}
