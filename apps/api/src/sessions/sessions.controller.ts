import { Body, Controller, Delete, Get, Patch, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { ListMessagesQueryDto, ListSessionsQueryDto, OrganiseSessionDto, RenameSessionDto, SelectBranchDto } from './dto/session-requests.dto.js';
import { DeletedDto, mapMessageList, mapSession, mapSessionPage, MessageListDto, SessionPageDto, SessionResponseDto } from './dto/session-response.dto.js';
import { SessionId } from './session-id.param.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('sessions')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such session for this user' })
@AllowApiKey()
@Controller('chat/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOkResponse({ type: SessionPageDto, description: 'Pinned first, then newest; with `q`, the sessions that match, best first' })
  async list(@CurrentUser() user: AuthUser, @Query() query: ListSessionsQueryDto): Promise<SessionPageDto> {
    return mapSessionPage(await this.sessions.list(user.id, query));
  }

  @Get(':id')
  @ApiOkResponse({ type: SessionResponseDto })
  async get(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<SessionResponseDto> {
    return mapSession(await this.sessions.get(user.id, id));
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessageListDto, description: 'Oldest first: the branch shown, or every version with view=all' })
  async messages(@CurrentUser() user: AuthUser, @SessionId() id: string, @Query() query: ListMessagesQueryDto): Promise<MessageListDto> {
    return mapMessageList(await this.sessions.messagesOf(user.id, id, query.view));
  }

  @Put(':id/branch')
  @ApiOkResponse({ type: MessageListDto, description: 'The branch now shown; the next message continues it' })
  async selectBranch(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: SelectBranchDto): Promise<MessageListDto> {
    return mapMessageList(await this.sessions.selectBranch(user.id, id, dto.messageId));
  }

  @Put(':id/title')
  @ApiOkResponse({ type: SessionResponseDto })
  async rename(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: RenameSessionDto): Promise<SessionResponseDto> {
    return mapSession(await this.sessions.rename(user.id, id, dto.title));
  }

  @Patch(':id')
  @ApiOkResponse({ type: SessionResponseDto, description: 'Archives, pins, files or tags the session, or changes the settings of its next turns; fields left out stay as they are, null clears a setting' })
  async organise(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: OrganiseSessionDto): Promise<SessionResponseDto> {
    return mapSession(await this.sessions.organise(user.id, id, dto));
  }

  @Delete(':id')
  @ApiOkResponse({ type: DeletedDto, description: 'The session and all its messages are gone' })
  async remove(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<DeletedDto> {
    await this.sessions.remove(user.id, id);
    return { id, deleted: true };
  }
}
