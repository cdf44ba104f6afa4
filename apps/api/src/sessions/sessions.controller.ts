import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ListSessionsQueryDto, RenameSessionDto } from './dto/session-requests.dto.js';
import { DeletedDto, mapMessage, mapSession, MessageListDto, SessionPageDto, SessionResponseDto } from './dto/session-response.dto.js';
import { SessionsService } from './sessions.service.js';

const SessionId = () => Param('id', new ParseUUIDPipe({ version: undefined }));

@ApiTags('sessions')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such session for this user' })
@AllowApiKey()
@Controller('chat/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOkResponse({ type: SessionPageDto, description: 'Newest first' })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListSessionsQueryDto): Promise<SessionPageDto> {
    const page = await this.sessions.list(user.id, query.limit, query.cursor);
    return { sessions: page.sessions.map(mapSession), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: SessionResponseDto })
  async get(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<SessionResponseDto> {
    return mapSession(await this.sessions.get(user.id, id));
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessageListDto, description: 'Oldest first' })
  async messages(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<MessageListDto> {
    return { messages: (await this.sessions.messagesOf(user.id, id)).map(mapMessage) };
  }

  @Put(':id/title')
  @ApiOkResponse({ type: SessionResponseDto })
  async rename(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: RenameSessionDto): Promise<SessionResponseDto> {
    return mapSession(await this.sessions.rename(user.id, id, dto.title));
  }

  @Delete(':id')
  @ApiOkResponse({ type: DeletedDto, description: 'The session and all its messages are gone' })
  async remove(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<DeletedDto> {
    await this.sessions.remove(user.id, id);
    return { id, deleted: true };
  }
}
