import { Body, Controller, Get, HttpCode, HttpStatus, type MessageEvent, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { AppError } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { AllowApiKey } from '../auth/allow-api-key.decorator.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { writeEventStream } from '../http/event-stream.writer.js';
import { SessionId } from '../sessions/session-id.param.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { StreamThrottle } from '../throttling/throttle.decorators.js';
import { ChatService } from './chat.service.js';
import { lastUserText, UiChatRequestDto } from './dto/ui-chat.dto.js';
import { toUiMessageStream, UI_MESSAGE_STREAM_HEADERS } from './ui-message-stream.js';

const UI_STREAM = 'The AI SDK UI message stream (`x-vercel-ai-ui-message-stream: v1`): start, then reasoning-start/-delta…/-end and text-start/-delta…/-end in the order the model wrote them, finish (or error), then [DONE]';

/**
 * The chat for the AI SDK's `useChat`: its request body in, its UI message stream out. Replies are detached from
 * the connection (a reload resumes them with GET …/stream); stop them with POST /api/chat/sessions/{id}/stop.
 */
@ApiTags('chat')
@ApiBearerAuth()
@AllowApiKey()
@Controller('ui/chat')
export class UiChatController {
  constructor(
    private readonly chat: ChatService,
    private readonly sessions: SessionsService,
  ) {}

  @Post()
  @HttpCode(HttpStatus.OK)
  @StreamThrottle()
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: UI_STREAM })
  @ApiBody({
    type: UiChatRequestDto,
    examples: {
      echo: {
        summary: 'A new chat with the key-less echo model',
        value: { id: 'new-chat', messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Hello!' }] }], trigger: 'submit-message', provider: 'echo' },
      },
    },
  })
  @ApiNotFoundResponse({ description: 'regenerate-message for a chat id that is not one of your sessions' })
  async send(@CurrentUser() user: AuthUser, @Body() dto: UiChatRequestDto, @Res() response: Response): Promise<void> {
    const { provider, model, temperature, maxOutputTokens, reasoning } = dto;
    const options = { provider, model, temperature, maxOutputTokens, reasoning, detach: true };
    const clientGone = new AbortController();
    response.once('close', () => clientGone.abort());
    const events =
      dto.trigger === 'regenerate-message'
        ? await this.chat.regenerate(user, dto.id, options, clientGone.signal)
        : // The UI message stream ends at `finish`: a generated title shows in the session list instead.
          await this.chat.send(user, { ...options, message: lastUserText(dto.messages), sessionId: await this.ownedSessionId(user, dto.id) }, clientGone.signal, false);
    writeEventStream(response, toUiMessageStream(events), UI_MESSAGE_STREAM_HEADERS);
  }

  @Get(':id/stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: `The session's running (or latest) reply from its start, on any replica. ${UI_STREAM}` })
  @ApiNoContentResponse({ description: 'No reply is running or recent' })
  @ApiNotFoundResponse({ description: 'No such session for this user' })
  async resume(@CurrentUser() user: AuthUser, @SessionId() id: string, @Res() response: Response): Promise<void> {
    const events: Observable<MessageEvent> | null = await this.chat.follow(user, id);
    if (!events) return void response.status(HttpStatus.NO_CONTENT).end();
    writeEventStream(response, toUiMessageStream(events), UI_MESSAGE_STREAM_HEADERS);
  }

  /** useChat's chat id when it is one of the user's sessions; any other id is a new chat. */
  private async ownedSessionId(user: AuthUser, id: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    return this.sessions.get(user.id, id).then(
      (session) => session.id,
      (error: unknown) => {
        if (error instanceof AppError && error.code === 'SESSION_NOT_FOUND') return undefined;
        throw error;
      },
    );
  }
}
