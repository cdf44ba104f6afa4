import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { EMPTY, type Observable } from 'rxjs';
import { type ChatTurn, type ProviderId, ProviderRegistry } from '@app/ai';
import { AppError, chatConfig } from '@app/common';
import { type ChatSessionEntity, MessagesRepository } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import { ProvidersService, type ResolvedEndpoint } from '../providers/providers.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ChatEventWriter, type ReplyEncoder } from './chat-events.js';
import type { StreamChatDto } from './dto/stream-chat.dto.js';
import { GenerationRunner } from './generation.runner.js';
import { GenerationTracker } from './generation.tracker.js';
import { selectHistory } from './history.js';

const TITLE_LENGTH = 50;
const DEFAULT_TITLE = 'New chat';

/** One chat turn, however it arrived: the question to save and answer, and what came before it (newest first). */
export interface TurnSpec {
  existing?: ChatSessionEntity;
  providerId: ProviderId;
  endpoint: ResolvedEndpoint;
  model: string;
  question: string;
  earlier: ChatTurn[];
  mode?: string;
  temperature?: number;
  maxTokens?: number;
  /** Record the turn (default); OpenAI clients may opt out with `store: false`. */
  persist?: boolean;
}

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
    this.assertCanStart(user);
    const existing = dto.sessionId ? await this.sessions.get(user.id, dto.sessionId) : undefined;
    const providerId = (dto.provider ?? existing?.provider) as ProviderId | undefined;
    if (!providerId) throw new AppError('VALIDATION_FAILED', 'provider is required to start a new session');

    const endpoint = await this.providers.resolveEndpoint(user.id, providerId);
    const model =
      dto.model ?? (existing?.provider === providerId ? existing.model : undefined) ?? endpoint.defaultModel ?? endpoint.info.defaultModel;
    if (!model) throw new AppError('MODEL_REQUIRED', `model is required: ${endpoint.info.label} has no default model saved`);
    const earlier = existing ? await this.messages.latestTurnsOwned(user.id, existing.id, this.config.historyMaxMessages - 1) : [];
    // A client that left during the checks gets nothing written: no session, no question without an answer.
    if (clientGone.aborted) return EMPTY;
    return this.start(
      user,
      { existing, providerId, endpoint, model, question: dto.message, earlier, mode: dto.mode, temperature: dto.temperature },
      new ChatEventWriter(),
    );
  }

  /** A turn whose history the client sent (the OpenAI-compatible API): recorded as a new session. */
  async startWithHistory(user: AuthUser, spec: Omit<TurnSpec, 'existing' | 'endpoint'>, encoder: ReplyEncoder): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const endpoint = await this.providers.resolveEndpoint(user.id, spec.providerId);
    return this.start(user, { ...spec, endpoint, earlier: spec.earlier.slice(0, this.config.historyMaxMessages - 1) }, encoder);
  }

  private assertCanStart(user: AuthUser): void {
    if (!this.tracker.accepting) throw new AppError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance');
    if (this.tracker.runningFor(user.id) >= this.config.maxConcurrentPerUser) {
      throw new AppError('TOO_MANY_GENERATIONS', `You already have ${this.config.maxConcurrentPerUser} replies being generated; wait for one to finish`);
    }
  }

  private start(user: AuthUser, spec: TurnSpec, encoder: ReplyEncoder): Observable<MessageEvent> {
    const { existing, endpoint } = spec;
    return this.runner.run({
      turn: {
        userId: user.id,
        sessionId: existing?.id ?? randomUUID(),
        ...(!existing && { newSession: { title: spec.question.trim().slice(0, TITLE_LENGTH) || DEFAULT_TITLE, mode: spec.mode ?? 'normal' } }),
        provider: spec.providerId,
        model: spec.model,
        userMessageId: randomUUID(),
        content: spec.question,
        replyId: randomUUID(),
      },
      encoder,
      persist: spec.persist ?? true,
      provider: this.registry.forProvider(spec.providerId),
      request: {
        model: spec.model,
        messages: selectHistory([{ role: 'user', content: spec.question }, ...spec.earlier], this.config.historyMaxChars),
        temperature: spec.temperature ?? this.config.defaultTemperature,
        ...(spec.maxTokens !== undefined && { maxTokens: spec.maxTokens }),
        baseUrl: endpoint.baseUrl,
        ...(endpoint.apiKey && { apiKey: endpoint.apiKey }),
      },
    });
  }
}
