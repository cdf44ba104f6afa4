import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { EMPTY, type Observable } from 'rxjs';
import { type ProviderId, ProviderRegistry } from '@app/ai';
import { AppError, chatConfig } from '@app/common';
import { MessagesRepository, type NewTurn } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import { ProvidersService } from '../providers/providers.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import type { StreamChatDto } from './dto/stream-chat.dto.js';
import { GenerationRunner } from './generation.runner.js';
import { GenerationTracker } from './generation.tracker.js';
import { selectHistory } from './history.js';

const TITLE_LENGTH = 50;
const DEFAULT_TITLE = 'New chat';

@Injectable()
export class ChatService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly messages: MessagesRepository,
    private readonly providers: ProvidersService,
    private readonly registry: ProviderRegistry,
    private readonly runner: GenerationRunner,
    private readonly tracker: GenerationTracker,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {}

  /**
   * Everything that can be refused is checked before the stream starts, so refusals are plain JSON errors:
   * the session belongs to the caller, the provider is configured, a model is known.
   */
  async stream(user: AuthUser, dto: StreamChatDto, clientGone: AbortSignal): Promise<Observable<MessageEvent>> {
    if (!this.tracker.accepting) throw new AppError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance');
    if (this.tracker.runningFor(user.id) >= this.config.maxConcurrentPerUser) {
      throw new AppError('TOO_MANY_GENERATIONS', `You already have ${this.config.maxConcurrentPerUser} replies being generated; wait for one to finish`);
    }
    const existing = dto.sessionId ? await this.sessions.get(user.id, dto.sessionId) : undefined;
    const providerId = (dto.provider ?? existing?.provider) as ProviderId | undefined;
    if (!providerId) throw new AppError('VALIDATION_FAILED', 'provider is required to start a new session');

    const endpoint = await this.providers.resolveEndpoint(user.id, providerId);
    const model =
      dto.model ?? (existing?.provider === providerId ? existing.model : undefined) ?? endpoint.defaultModel ?? endpoint.info.defaultModel;
    if (!model) throw new AppError('MODEL_REQUIRED', `model is required: ${endpoint.info.label} has no default model saved`);

    // The new question is the newest turn; earlier ones come from the session, newest first.
    const question = { role: 'user' as const, content: dto.message };
    const earlier = existing ? await this.messages.latestTurnsOwned(user.id, existing.id, this.config.historyMaxMessages - 1) : [];
    // A client that left during the checks gets nothing written: no session, no question without an answer.
    if (clientGone.aborted) return EMPTY;

    const turn: NewTurn = {
      userId: user.id,
      sessionId: existing?.id ?? randomUUID(),
      ...(!existing && { newSession: { title: dto.message.trim().slice(0, TITLE_LENGTH) || DEFAULT_TITLE, mode: dto.mode ?? 'normal' } }),
      provider: providerId,
      model,
      userMessageId: randomUUID(),
      content: dto.message,
      replyId: randomUUID(),
    };
    return this.runner.run({
      turn,
      provider: this.registry.forProvider(providerId),
      request: {
        model,
        messages: selectHistory([question, ...earlier], this.config.historyMaxChars),
        temperature: dto.temperature ?? this.config.defaultTemperature,
        baseUrl: endpoint.baseUrl,
        ...(endpoint.apiKey && { apiKey: endpoint.apiKey }),
      },
    });
  }
}
