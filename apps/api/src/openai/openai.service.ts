import { Injectable, type MessageEvent } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { type ChatTurn, getProviderInfo, isProviderId, type ProviderId } from '@app/ai';
import { AppError, type ErrorCode } from '@app/common';
import type { AuthUser } from '../auth/auth-user.js';
import { ChatEventWriter } from '../chat/chat-events.js';
import type { ReplyEncoder, Usage } from '../generations/reply-encoder.js';
import { ChatService } from '../chat/chat.service.js';
import { ProvidersService } from '../providers/providers.service.js';
import type { ChatCompletionMessageDto, ChatCompletionRequestDto } from './dto/chat-completion.request.js';
import { OpenAiChunkEncoder, openAiUsage } from './openai-chunk.encoder.js';

/** What a failed non-streaming completion answers, by our stream error code. */
const FAILURE: Record<string, ErrorCode> = {
  upstream_rate_limited: 'UPSTREAM_RATE_LIMITED',
  upstream_bad_request: 'UPSTREAM_REJECTED',
  upstream_timeout: 'UPSTREAM_TIMEOUT',
};

function text(content: ChatCompletionMessageDto['content']): string {
  return typeof content === 'string' ? content : content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

function toTurn(message: ChatCompletionMessageDto): ChatTurn {
  return { role: message.role === 'developer' ? 'system' : message.role, content: text(message.content) };
}

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

  async stream(user: AuthUser, request: ChatCompletionRequestDto): Promise<Observable<MessageEvent>> {
    return this.start(user, request, new OpenAiChunkEncoder(request.model, request.stream_options?.include_usage === true));
  }

  /** The non-streaming answer: the same generation, collected; a client that leaves cancels it. */
  async complete(user: AuthUser, request: ChatCompletionRequestDto, response: Response) {
    const events = await this.start(user, request, new ChatEventWriter());
    const reply = await new Promise<{ id: string; content: string; usage: Usage | null }>((resolve, reject) => {
      let content = '';
      const subscription = events.subscribe((event) => {
        const data = event.data as Record<string, unknown>;
        if (event.type === 'message') content += data.content as string;
        else if (event.type === 'done') resolve({ id: data.messageId as string, content, usage: data.usage as Usage | null });
        else if (event.type === 'error') reject(new AppError(FAILURE[data.code as string] ?? 'UPSTREAM_FAILED', data.error as string));
      });
      response.once('close', () => subscription.unsubscribe());
    });
    return {
      id: `chatcmpl-${reply.id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      system_fingerprint: null,
      choices: [{ index: 0, message: { role: 'assistant', content: reply.content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: openAiUsage(reply.usage),
    };
  }

  private async start(user: AuthUser, request: ChatCompletionRequestDto, encoder: ReplyEncoder): Promise<Observable<MessageEvent>> {
    const { providerId, model } = await this.resolveModel(user.id, request.model);
    const turns = request.messages.map(toTurn);
    const question = turns.pop();
    if (!question || question.role !== 'user' || !question.content) throw new AppError('VALIDATION_FAILED', 'The last message must be a non-empty user message');
    return this.chat.startWithHistory(
      user,
      {
        providerId,
        model,
        question: question.content,
        context: [question, ...turns.reverse()],
        temperature: request.temperature,
        maxTokens: request.max_completion_tokens ?? request.max_tokens,
        persist: request.store !== false,
      },
      encoder,
    );
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
