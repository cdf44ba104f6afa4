import { Injectable, type MessageEvent } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { type ChatTurn, getProviderInfo, isProviderId, type ReasoningOptions, type ToolCall, type ToolChoice, type ToolDefinition } from '@app/ai';
import { AppError, type ErrorCode } from '@app/common';
import type { MessagePart } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatService } from '../chat/chat.service.js';
import type { ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { ALIAS_PROVIDER } from '../model-access/model-policy.js';
import { ModelPoliciesService } from '../model-access/model-policies.service.js';
import { ProvidersService } from '../providers/providers.service.js';
import { ReplyCollector } from './reply-collector.js';
import { ModelAliasesService } from '../routing/model-aliases.service.js';
import type { ModelChoice } from '../routing/routing.service.js';

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
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
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
  /** The model's reasoning, its text only, empty when it gave none. */
  reasoning: string;
  /** The tool calls the reply made, complete; when there are some, the reply waits for their results. */
  toolCalls: ToolCall[];
  /** The reply in order, reasoning with the provider's data (signatures, redacted blocks) as it came. */
  parts: readonly MessagePart[];
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
    private readonly policies: ModelPoliciesService,
    private readonly aliases: ModelAliasesService,
  ) {}

  /**
   * `provider/model` for every catalogued model of the providers the user can use, and the aliases by their bare
   * name; only what the caller's policy allows.
   */
  async models(user: AuthUser): Promise<{ id: string; owned_by: string }[]> {
    const policy = await this.policies.effective(user);
    const usable = (await this.providers.list(user.id)).filter(({ access }) => access !== null);
    const catalogued = usable.flatMap(({ info }) => info.models.filter((model) => policy.allows(info.id, model.id)).map((model) => ({ id: `${info.id}/${model.id}`, owned_by: info.id })));
    const aliases = (await this.aliases.list()).filter((alias) => policy.allows(ALIAS_PROVIDER, alias.name));
    return [...aliases.map((alias) => ({ id: alias.name, owned_by: ALIAS_PROVIDER })), ...catalogued];
  }

  async start(user: AuthUser, turn: CompatibleTurn, encoder: ReplyEncoder): Promise<Observable<MessageEvent>> {
    const { provider: providerId, model } = await this.resolveModel(user.id, turn.model);
    const history = [...turn.messages];
    const question = history.pop();
    // A conversation that ends with tool results goes on from them: there is no new question to record.
    const answersTools = question?.role === 'tool';
    if (!question || (!answersTools && (question.role !== 'user' || (!question.content && !question.attachments?.length)))) {
      throw new AppError('VALIDATION_FAILED', 'The last message must be a non-empty user message (text or images), or tool results');
    }
    const spec = {
      providerId,
      model,
      ...(!answersTools && { question: question.content }),
      context: [question, ...history.reverse()],
      tools: turn.tools,
      toolChoice: turn.toolChoice,
      parallelToolCalls: turn.parallelToolCalls,
      temperature: turn.temperature,
      maxTokens: turn.maxTokens,
      reasoning: turn.reasoning,
      persist: turn.store !== false,
    };
    return turn.after ? this.chat.continueWithHistory(user, turn.after, spec, encoder) : this.chat.startWithHistory(user, spec, encoder);
  }

  /** The non-streaming answer: the same generation, collected; a client that leaves cancels it. */
  async complete(user: AuthUser, turn: CompatibleTurn, response: Response): Promise<CollectedReply> {
    const collector = new ReplyCollector();
    const events = await this.start(user, turn, collector);
    return new Promise<CollectedReply>((resolve, reject) => {
      let sessionId = '';
      const subscription = events.subscribe((event) => {
        const data = event.data as Record<string, unknown>;
        if (event.type === 'session') sessionId = data.sessionId as string;
        else if (event.type === 'done') {
          const parts = collector.parts.all();
          const reasoning = parts.map((part) => (part.type === 'reasoning' ? part.text : '')).join('');
          resolve({ messageId: data.messageId as string, sessionId, content: collector.parts.text(), reasoning, toolCalls: collector.toolCalls, parts, usage: data.usage as Usage | null });
        }
        else if (event.type === 'error') reject(new AppError(FAILURE[data.code as string] ?? 'UPSTREAM_FAILED', data.error as string));
      });
      response.once('close', () => subscription.unsubscribe());
    });
  }

  /**
   * `provider/model`, `alias/name`, or a bare name: an alias of that name, else the provider you configured that
   * lists the model, else your only configured one.
   */
  private async resolveModel(userId: string, ref: string): Promise<ModelChoice> {
    const slash = ref.indexOf('/');
    const prefix = ref.slice(0, slash);
    if (slash > 0 && (isProviderId(prefix) || prefix === ALIAS_PROVIDER)) return { provider: prefix, model: ref.slice(slash + 1) };
    if (slash < 0 && (await this.aliases.find(ref))) return { provider: ALIAS_PROVIDER, model: ref };
    const usable = (await this.providers.list(userId)).filter(({ access }) => access !== null);
    const listing = usable.find(({ info }) => getProviderInfo(info.id).models.some((model) => model.id === ref));
    const configured = usable.filter(({ access }) => access !== 'keyless');
    const providerId = listing?.info.id ?? (configured.length === 1 ? configured[0]!.info.id : undefined);
    if (!providerId) throw new AppError('MODEL_REQUIRED', `Cannot tell which provider serves "${ref.slice(0, 100)}": use provider/model, e.g. openai/gpt-4o-mini`);
    return { provider: providerId, model: ref };
  }
}
