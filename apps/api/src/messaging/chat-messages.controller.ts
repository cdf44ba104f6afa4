import { Controller, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiExcludeController } from '@nestjs/swagger';
import { filter, map, type Observable } from 'rxjs';
import { AppError, inputPipes } from '@app/common';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatService } from '../chat/chat.service.js';
import type { StopResultDto } from '../chat/dto/conversation-control.dto.js';
import {
  type DeletedDto,
  mapMessageList,
  mapSession,
  mapSessionPage,
  type MessageListDto,
  type SessionPageDto,
  type SessionResponseDto,
} from '../sessions/dto/session-response.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import {
  ChatStreamMessageDto,
  type MessageAuthDto,
  SessionMessageDto,
  SessionMessagesMessageDto,
  SessionRenameMessageDto,
  SessionsListMessageDto,
} from './chat-messages.dto.js';
import { RefusedPayloadPipe } from './refused-payload.pipe.js';
import { RpcErrorsFilter } from './rpc-errors.filter.js';
import { TraceContextInterceptor } from './trace-context.interceptor.js';

export interface ChatStreamEvent {
  event: string;
  data: unknown;
}

/** No caller can hang up a message mid-way, so the setup-time abort signal never fires. */
const NEVER_ABORTED = new AbortController().signal;

/**
 * The chat for other services, over NATS: the same events as the SSE stream, one message each, in order, and the
 * session routes, each answering what its HTTP route answers. Every message names the user it acts for with that
 * user's API key: services are not trusted by default.
 */
@Controller()
// Message handlers are no HTTP routes: their DTOs stay out of the HTTP API's document.
@ApiExcludeController()
@UseFilters(RpcErrorsFilter)
@UseInterceptors(TraceContextInterceptor)
// The HTTP app's global pipes do not reach message handlers: a refused payload is answered, then the same input rules apply.
@UsePipes(new RefusedPayloadPipe(), ...inputPipes())
export class ChatMessagesController {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly chat: ChatService,
    private readonly sessions: SessionsService,
  ) {}

  @MessagePattern('chat.stream')
  async stream(@Payload() message: ChatStreamMessageDto): Promise<Observable<ChatStreamEvent>> {
    const user = await this.authorise(message.auth);
    const events = await this.chat.send(user, message.request, NEVER_ABORTED);
    return events.pipe(
      filter((event) => event.type !== undefined),
      map((event) => ({ event: event.type!, data: event.data })),
    );
  }

  @MessagePattern('chat.stop')
  async stop(@Payload() message: SessionMessageDto): Promise<StopResultDto> {
    const user = await this.authorise(message.auth);
    return { stopped: await this.chat.stop(user, message.sessionId) };
  }

  @MessagePattern('chat.sessions.list')
  async listSessions(@Payload() message: SessionsListMessageDto): Promise<SessionPageDto> {
    const { auth, ...query } = message;
    return mapSessionPage(await this.sessions.list((await this.authorise(auth)).id, query));
  }

  @MessagePattern('chat.sessions.get')
  async getSession(@Payload() message: SessionMessageDto): Promise<SessionResponseDto> {
    const user = await this.authorise(message.auth);
    return mapSession(await this.sessions.get(user.id, message.sessionId));
  }

  @MessagePattern('chat.sessions.messages')
  async sessionMessages(@Payload() message: SessionMessagesMessageDto): Promise<MessageListDto> {
    const user = await this.authorise(message.auth);
    return mapMessageList(await this.sessions.messagesOf(user.id, message.sessionId, message.view));
  }

  @MessagePattern('chat.sessions.rename')
  async renameSession(@Payload() message: SessionRenameMessageDto): Promise<SessionResponseDto> {
    const user = await this.authorise(message.auth);
    return mapSession(await this.sessions.rename(user.id, message.sessionId, message.title));
  }

  @MessagePattern('chat.sessions.delete')
  async deleteSession(@Payload() message: SessionMessageDto): Promise<DeletedDto> {
    const user = await this.authorise(message.auth);
    await this.sessions.remove(user.id, message.sessionId);
    return { id: message.sessionId, deleted: true };
  }

  private async authorise(auth: MessageAuthDto): Promise<AuthUser> {
    const user = await this.apiKeys.authenticate(auth.apiKey);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The API key is not valid');
    return user;
  }
}
