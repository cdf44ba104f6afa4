import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { Public } from '../auth/public.decorator.js';
import { UuidParam } from '../http/uuid-param.decorator.js';
import { DeletedDto } from '../sessions/dto/session-response.dto.js';
import { SessionId } from '../sessions/session-id.param.js';
import {
  CreatedSharedLinkDto,
  CreateSharedLinkDto,
  mapSharedConversation,
  mapSharedLink,
  SharedConversationDto,
  SharedLinkListDto,
} from './dto/shared-link.dto.js';
import { SharingService } from './sharing.service.js';

/** The owner's side: make, list and revoke the links of a session. */
@ApiTags('sharing')
@ApiBearerAuth()
@ApiNotFoundResponse({ description: 'No such session or link for this user' })
@AllowApiKey()
@Controller('chat/sessions')
export class SharedLinksController {
  constructor(private readonly sharing: SharingService) {}

  @Post(':id/share')
  @ApiCreatedResponse({ type: CreatedSharedLinkDto, description: 'A snapshot of the branch shown, as it is now; the token is shown only here' })
  async share(@CurrentUser() user: AuthUser, @SessionId() id: string, @Body() dto: CreateSharedLinkDto): Promise<CreatedSharedLinkDto> {
    const { link, token } = await this.sharing.share(user.id, id, dto.expiresInSeconds);
    return { ...mapSharedLink(link), token, url: `/api/shared/${token}` };
  }

  @Get(':id/shares')
  @ApiOkResponse({ type: SharedLinkListDto })
  async list(@CurrentUser() user: AuthUser, @SessionId() id: string): Promise<SharedLinkListDto> {
    return { links: (await this.sharing.list(user.id, id)).map(mapSharedLink) };
  }

  @Delete(':id/shares/:shareId')
  @ApiOkResponse({ type: DeletedDto, description: 'Revoked: the link stops working at once' })
  async revoke(@CurrentUser() user: AuthUser, @SessionId() id: string, @UuidParam('shareId') shareId: string): Promise<DeletedDto> {
    await this.sharing.revoke(user.id, id, shareId);
    return { id: shareId, deleted: true };
  }
}

/** The reader's side: no sign-in, the token is the permission. */
@ApiTags('sharing')
@Controller('shared')
export class SharedConversationsController {
  constructor(private readonly sharing: SharingService) {}

  @Public()
  @Get(':token')
  @ApiOkResponse({ type: SharedConversationDto })
  @ApiNotFoundResponse({ description: 'No such link, or it was revoked, or it expired' })
  async read(@Param('token') token: string): Promise<SharedConversationDto> {
    const link = await this.sharing.read(token);
    return mapSharedConversation(link.snapshot, link.createdAt, link.expiresAt);
  }
}
