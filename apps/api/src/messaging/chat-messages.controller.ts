import { Controller, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { filter, map, type Observable } from 'rxjs';
import { AppError, inputPipes } from '@app/common';
import { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatService } from '../chat/chat.service.js';
import { mapSession, type SessionResponseDto } from '../sessions/dto/session-response.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ChatStreamMessageDto, type MessageAuthDto, SessionsListMessageDto } from './chat-messages.dto.js';
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
 * The chat for other services, over NATS: the same events as the SSE stream, one message each, in order. Every
 * message names the user it acts for with that user's API key: services are not trusted by default.
 */
@Controller()
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

  @MessagePattern('chat.sessions.list')
  async listSessions(@Payload() message: SessionsListMessageDto): Promise<SessionResponseDto[]> {
    const user = await this.authorise(message.auth);
    return (await this.sessions.list(user.id, { limit: message.limit ?? 20 })).sessions.map(({ session }) => mapSession(session));
  }

  private async authorise(auth: MessageAuthDto): Promise<AuthUser> {
    const user = await this.apiKeys.authenticate(auth.apiKey);
    if (!user) throw new AppError('UNAUTHENTICATED', 'The API key is not valid');
    return user;
  }
}
