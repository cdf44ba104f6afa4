import { Injectable, type MessageEvent } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { type ChatTurn, getProviderInfo, isProviderId, type ProviderId, type ReasoningOptions } from '@app/ai';
import { AppError, type ErrorCode } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatEventWriter } from '../chat/chat-events.js';
import { ChatService } from '../chat/chat.service.js';
import type { ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { ProvidersService } from '../providers/providers.service.js';

/** What a failed non-streaming answer answers, by our stream error code. */
const FAILURE: Record<string, ErrorCode> = {
  upstream_rate_limited: 'UPSTREAM_RATE_LIMITED',
  upstream_bad_request: 'UPSTREAM_REJECTED',
  upstream_timeout: 'UPSTREAM_TIMEOUT',
};

/** A /v1 request in any of the protocols (chat completions, Anthropic messages, responses), mapped by its DTO. */
export interface CompatibleTurn {
  /** `provider/model`, or a bare model name */
  model: string;
  /** The conversation the client sent, oldest first; the last one is the question. */
  messages: ChatTurn[];
  temperature?: number;
  maxTokens?: number;
  reasoning?: ReasoningOptions;
  /** false: not recorded as a session */
  store?: boolean;
  /** Continue this recorded conversation after this message (else a new session). */
  after?: { sessionId: string; messageId: string };
}

/** A whole reply, for the protocols' non-streaming answers. */
export interface CollectedReply {
  messageId: string;
  sessionId: string;
  content: string;
  /** The model's reasoning, empty when it gave none. */
  reasoning: string;
  usage: Usage | null;
}

/**
 * The /v1 APIs, whatever their protocol: a request becomes a turn with the history the client sent, answered by
 * the same generations as the chat; each protocol brings its encoder (streaming) or maps the collected reply.
 */
@Injectable()
export class OpenAiService {
  constructor(
    private readonly chat: ChatService,
    private readonly providers: ProvidersService,
  ) {}

  /** `provider/model` for every catalogued model of the providers the user can use. */
  async models(userId: string): Promise<{ id: string; owned_by: string }[]> {
    const usable = (await this.providers.list(userId)).filter(({ info, configured }) => configured || info.kind === 'echo');
    return usable.flatMap(({ info }) => info.models.map((model) => ({ id: `${info.id}/${model.id}`, owned_by: info.id })));
  }

  async start(user: AuthUser, turn: CompatibleTurn, encoder: ReplyEncoder): Promise<Observable<MessageEvent>> {
    const { providerId, model } = await this.resolveModel(user.id, turn.model);
    const history = [...turn.messages];
    const question = history.pop();
    if (!question || question.role !== 'user' || !question.content) throw new AppError('VALIDATION_FAILED', 'The last message must be a non-empty user message');
    const spec = {
      providerId,
      model,
      question: question.content,
      context: [question, ...history.reverse()],
      temperature: turn.temperature,
      maxTokens: turn.maxTokens,
      reasoning: turn.reasoning,
      persist: turn.store !== false,
    };
    return turn.after ? this.chat.continueWithHistory(user, turn.after, spec, encoder) : this.chat.startWithHistory(user, spec, encoder);
  }

  /** The non-streaming answer: the same generation, collected; a client that leaves cancels it. */
  async complete(user: AuthUser, turn: CompatibleTurn, response: Response): Promise<CollectedReply> {
    const events = await this.start(user, turn, new ChatEventWriter());
    return new Promise<CollectedReply>((resolve, reject) => {
      let content = '';
      let reasoning = '';
      let sessionId = '';
      const subscription = events.subscribe((event) => {
        const data = event.data as Record<string, unknown>;
        if (event.type === 'session') sessionId = data.sessionId as string;
        else if (event.type === 'message') content += data.content as string;
        else if (event.type === 'reasoning') reasoning += data.content as string;
        else if (event.type === 'done') resolve({ messageId: data.messageId as string, sessionId, content, reasoning, usage: data.usage as Usage | null });
        else if (event.type === 'error') reject(new AppError(FAILURE[data.code as string] ?? 'UPSTREAM_FAILED', data.error as string));
      });
      response.once('close', () => subscription.unsubscribe());
    });
  }

  /** `provider/model`, or a bare model: the provider you configured that lists it, or your only configured one. */
  private async resolveModel(userId: string, ref: string): Promise<{ providerId: ProviderId; model: string }> {
    const slash = ref.indexOf('/');
    const prefix = ref.slice(0, slash);
    if (slash > 0 && isProviderId(prefix)) return { providerId: prefix, model: ref.slice(slash + 1) };
    const usable = (await this.providers.list(userId)).filter(({ info, configured }) => configured || info.kind === 'echo');
    const listing = usable.find(({ info }) => getProviderInfo(info.id).models.some((model) => model.id === ref));
    const configured = usable.filter(({ configured }) => configured);
    const providerId = listing?.info.id ?? (configured.length === 1 ? configured[0]!.info.id : undefined);
    if (!providerId) throw new AppError('MODEL_REQUIRED', `Cannot tell which provider serves "${ref.slice(0, 100)}": use provider/model, e.g. openai/gpt-4o-mini`);
    return { providerId, model: ref };
  }
}
