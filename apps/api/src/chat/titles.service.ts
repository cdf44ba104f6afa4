import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { filter, lastValueFrom, map, scan, takeWhile } from 'rxjs';
import { type ChatDelta, type ChatRequest, PROVIDER_IDS, type ProviderId, ProviderRegistry } from '@app/ai';
import { chatConfig } from '@app/common';
import { ChatSessionsRepository, MessagesRepository } from '@app/persistence';
import type { Generation, RouteTarget } from '../generations/generation.js';
import { ProvidersService } from '../providers/providers.service.js';

export const TITLE_MAX_CHARS = 60;
type TextDelta = Extract<ChatDelta, { type: 'text' }>;
/** A title request that takes longer is given up: the session keeps the first words of its first message. */
const TITLE_TIMEOUT_MS = 30_000;
/** Enough of the question and the answer to say what they are about; a long paste need not go out twice. */
const EXCERPT_CHARS = 2_000;
/** More than any title: a model that rambles is cut off here. */
const MAX_ANSWER_CHARS = 1_000;

export const TITLE_INSTRUCTION =
  'You name chat conversations. Reply with a title of at most six words saying what the conversation is about, ' +
  'in the language of the conversation: no quotes, no final punctuation, nothing else.';

/** The first reply of a new session, and what it was asked of. */
export interface TitleJob {
  userId: string;
  sessionId: string;
  question: string;
}

const QUOTES = /["“”„«»`]/g;
const EDGE_MARKS = /^[\s'‘’*#_\-:]+|[\s'‘’*#_.:;,]+$/g;

/**
 * A model's answer as a title: its first non-empty line, without a "Title:" label, quotes, markdown marks or a
 * final full stop, spaces collapsed, at most TITLE_MAX_CHARS (cut at a word where one is near, never inside a
 * surrogate pair). Null when nothing is left.
 */
export function cleanTitle(answer: string): string | null {
  const line = answer
    .replace(/<think>[\s\S]*?(<\/think>|$)/gi, ' ')
    .split(/[\r\n]+/)
    .map((text) => text.replace(/\p{Cc}/gu, ' ').trim())
    .find((text) => text.length > 0);
  if (!line) return null;
  let title = line.replace(/^title\s*:\s*/i, '').replace(QUOTES, '').replace(/\s+/g, ' ').replace(EDGE_MARKS, '');
  if (title.length > TITLE_MAX_CHARS) {
    const cut = title.slice(0, TITLE_MAX_CHARS + 1);
    const space = cut.lastIndexOf(' ');
    title = space >= TITLE_MAX_CHARS / 2 ? cut.slice(0, space) : cut.slice(0, TITLE_MAX_CHARS);
    if (/[\ud800-\udbff]$/.test(title)) title = title.slice(0, -1);
    title = title.replace(EDGE_MARKS, '');
  }
  return title.length > 0 ? title : null;
}

/**
 * Names a new session after its first reply, in the background: the reply is already answered and saved when the
 * title is asked for, so a slow or failing title request never delays or fails it. Title requests are not
 * generations: they do not count towards the user's concurrent replies, and nobody can follow or stop them.
 */
@Injectable()
export class TitlesService {
  private readonly logger = new Logger(TitlesService.name);

  constructor(
    private readonly sessions: ChatSessionsRepository,
    private readonly messages: MessagesRepository,
    private readonly providers: ProvidersService,
    private readonly registry: ProviderRegistry,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
  ) {
    const provider = config.titleModel?.provider;
    if (provider !== undefined && !(PROVIDER_IDS as readonly string[]).includes(provider)) {
      throw new Error(`Invalid configuration: TITLE_MODEL names an unknown provider "${provider}" (one of ${PROVIDER_IDS.join(', ')})`);
    }
  }

  /**
   * Once the reply is saved complete, asks for a title and saves it unless the user has chosen one. Resolves with
   * the title saved, or null: turned off, the reply stopped or failed, the request failed, the user's title kept.
   * Never rejects. Null at once for the echo provider, which would only repeat the request back.
   */
  async afterFirstReply(generation: Generation, job: TitleJob): Promise<string | null> {
    if (!this.config.titleGeneration) return null;
    if (!this.config.titleModel && generation.target.provider.kind === 'echo') return null;
    try {
      const last = await lastValueFrom(generation.events, { defaultValue: null });
      if (last?.type !== 'done' || generation.status !== 'complete') return null;
      const reply = await this.messages.findOwned(job.userId, job.sessionId, generation.id);
      if (!reply?.content) return null;
      const title = cleanTitle(await this.ask(job, generation.target, reply.content));
      return title && (await this.sessions.saveGeneratedTitle(job.userId, job.sessionId, title)) ? title : null;
    } catch (error) {
      this.logger.warn(`No title generated for session ${job.sessionId}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  /**
   * A normal streamed request through what answered the reply (its connection or the user's key, its model), or
   * with TITLE_MODEL through whatever serves that model to the user, if set.
   */
  private async ask(job: TitleJob, answered: RouteTarget, answer: string): Promise<string> {
    const { titleModel } = this.config;
    const providerId = titleModel ? (titleModel.provider as ProviderId) : answered.providerId;
    const endpoint = titleModel ? await this.providers.resolveEndpoint(job.userId, providerId, titleModel.model) : answered.request;
    const request: ChatRequest = {
      model: titleModel?.model ?? answered.request.model,
      messages: [
        { role: 'system', content: TITLE_INSTRUCTION },
        { role: 'user', content: `User: ${job.question.slice(0, EXCERPT_CHARS)}\n\nAssistant: ${answer.slice(0, EXCERPT_CHARS)}` },
      ],
      temperature: 0.2,
      maxTokens: 60,
      baseUrl: endpoint.baseUrl,
      ...(endpoint.apiKey && { apiKey: endpoint.apiKey }),
    };
    const deltas = this.registry.forProvider(providerId).stream(request, AbortSignal.timeout(TITLE_TIMEOUT_MS));
    return lastValueFrom(
      deltas.pipe(
        filter((delta): delta is TextDelta => delta.type === 'text'),
        map((delta) => delta.text),
        scan((text, piece) => text + piece, ''),
        takeWhile((text) => text.length < MAX_ANSWER_CHARS, true),
      ),
      { defaultValue: '' },
    );
  }
}
