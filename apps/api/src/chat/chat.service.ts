import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { concat, EMPTY, filter, from, map, Observable, timeout } from 'rxjs';
import type { ChatTurn, ReasoningOptions, ToolCall, ToolChoice, ToolDefinition } from '@app/ai';
import { AppError, chatConfig, filesConfig } from '@app/common';
import { type BranchMessage, type ChatSessionEntity, type MessagePart, MessagesRepository, type NewSessionSettings, type PresetEntity } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import type { Generation } from '../generations/generation.js';
import { GenerationsService } from '../generations/generations.service.js';
import type { EventPosition, ReplyEncoder } from '../generations/reply-encoder.js';
import { ALIAS_PROVIDER } from '../model-access/model-policy.js';
import { PresetsService } from '../presets/presets.service.js';
import { ProvidersService } from '../providers/providers.service.js';
import { type ModelChoice, RoutingService } from '../routing/routing.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ChatEventWriter, withHeartbeat } from './chat-events.js';
import type { EditMessageDto, GenerationOptionsDto, StreamChatDto, ToolResultsDto } from './dto/stream-chat.dto.js';
import { FilesService } from '../files/files.service.js';
import { capTurns, fileParts, type HistoryTurn, readFiles, selectHistory, storedTurns, toolsOfHistory } from './history.js';
import { TitlesService } from './titles.service.js';

const TITLE_LENGTH = 50;
const DEFAULT_TITLE = 'New chat';

/** One chat turn, however it arrived. */
export interface TurnSpec {
  existing?: ChatSessionEntity;
  /** A provider, or `alias` with an alias's name as the model. */
  providerId: ModelChoice['provider'];
  model: string;
  /** The user's new message to record; absent when regenerating the answer to one already recorded. */
  question?: string;
  /** Its parts, when it has files: its text, then the files. */
  questionParts?: MessagePart[];
  /** Instead of a question: the results a client sent for the parent reply's tool calls, recorded as a `tool` message. */
  toolResults?: { toolCallId: string; content: string }[];
  /** Functions the model may call, kept on the reply so that answering its calls offers them again. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  /** Where the turn joins the conversation tree (see NewTurn.parentId). */
  parentId: string | null;
  /** What the provider is asked to answer, newest first: the message to answer, then what came before it. */
  context: HistoryTurn[];
  /** Sent first, as the system turn, whatever part of the history fits. */
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
  reasoning?: ReasoningOptions;
  /** What a new session keeps for its next turns. */
  newSettings?: NewSessionSettings;
  /** Record the turn (default); OpenAI clients may opt out with `store: false`. */
  persist?: boolean;
}

type Target = Pick<TurnSpec, 'providerId' | 'model'>;

/** Where a turn's settings come from when the request leaves them out: its session, or the preset a new one starts from. */
type SettingsSource = Pick<ChatSessionEntity | PresetEntity, 'provider' | 'model' | 'systemPrompt' | 'temperature' | 'maxOutputTokens' | 'reasoning'>;

type TurnSettings = Pick<TurnSpec, 'systemPrompt' | 'temperature' | 'maxTokens' | 'reasoning'>;

/** The tool calls a recorded reply made, in order. */
function toolCallsOf(message: Pick<BranchMessage, 'parts'>): ToolCall[] {
  return (message.parts ?? []).flatMap(({ type, ...call }) => (type === 'tool_call' ? [call as ToolCall] : []));
}

/** Each setting from the request, else from the session or preset; absent ones are left to the server's defaults. */
function turnSettings(dto: GenerationOptionsDto & { systemPrompt?: string }, source?: SettingsSource): TurnSettings {
  const reasoning = dto.reasoning ?? (source?.reasoning as ReasoningOptions | null | undefined);
  return {
    systemPrompt: dto.systemPrompt ?? source?.systemPrompt ?? undefined,
    temperature: dto.temperature ?? source?.temperature ?? undefined,
    maxTokens: dto.maxOutputTokens ?? source?.maxOutputTokens ?? undefined,
    ...(reasoning && { reasoning }),
  };
}

/**
 * Starts, follows and stops the replies of chat sessions. Everything that can be refused is checked before a
 * stream starts, so refusals are plain JSON errors: the session and message belong to the caller, the provider
 * is configured, a model is known, no other reply of the session is running.
 */
@Injectable()
export class ChatService {
  constructor(
    private readonly sessions: SessionsService,
    private readonly messages: MessagesRepository,
    private readonly providers: ProvidersService,
    private readonly routing: RoutingService,
    private readonly generations: GenerationsService,
    private readonly presets: PresetsService,
    private readonly titles: TitlesService,
    private readonly files: FilesService,
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
    @Inject(filesConfig.KEY) private readonly filesLimits: ConfigType<typeof filesConfig>,
  ) {}

  /**
   * A new message, in a new session or at the end of the branch shown of an existing one. A new session starts
   * with the preset's settings, overridden by the request's, and is named after its first reply; `announceTitle`
   * keeps the stream open a moment after `done` for the `title` event (clients of other protocols read the list).
   */
  async send(user: AuthUser, dto: StreamChatDto, clientGone: AbortSignal, announceTitle = true): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    if (dto.sessionId && (dto.presetId !== undefined || dto.systemPrompt !== undefined)) {
      throw new AppError('VALIDATION_FAILED', "presetId and systemPrompt start a new session: change a session's settings with PATCH /api/chat/sessions/{id}");
    }
    // The session and its branch in one statement: the only database read before the upstream request.
    const { session: existing, branch } = dto.sessionId
      ? await this.sessions.getWithBranch(user.id, dto.sessionId, this.config.historyMaxMessages - 1)
      : { session: undefined, branch: [] };
    const source = existing ?? (dto.presetId ? await this.presets.get(user.id, dto.presetId) : undefined);
    const target = await this.resolveTarget(user, dto, source);
    const settings = turnSettings(dto, source);
    const questionParts = await this.attachable(user, dto.attachments ?? [], dto.message, existing?.id);
    const spec: TurnSpec = {
      existing,
      ...target,
      ...settings,
      question: dto.message,
      ...(questionParts && { questionParts }),
      tools: dto.tools,
      toolChoice: dto.toolChoice,
      parentId: branch[0]?.id ?? null,
      context: [{ role: 'user', content: dto.message, files: fileParts(questionParts) }, ...storedTurns(branch)],
      ...(!existing && {
        newSettings: {
          systemPrompt: settings.systemPrompt ?? null,
          temperature: settings.temperature ?? null,
          maxOutputTokens: settings.maxTokens ?? null,
          reasoning: settings.reasoning ?? null,
        },
      }),
    };
    const writer = new ChatEventWriter();
    const generation = await this.startUnlessGone(user, spec, clientGone, writer);
    const title = generation && !existing ? this.titles.afterFirstReply(generation, { userId: user.id, sessionId: generation.sessionId, question: dto.message }) : null;
    return this.attach(generation, dto.detach === true, title && announceTitle ? this.titleEvent(title, writer) : EMPTY);
  }

  /**
   * A new answer to the last question (or tool results) of the branch shown; the previous answer stays as a
   * sibling version. It is offered the tools of the answer it replaces, or of the reply whose calls it answers.
   */
  async regenerate(user: AuthUser, sessionId: string, dto: GenerationOptionsDto, clientGone: AbortSignal): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const existing = await this.sessions.get(user.id, sessionId);
    const branch = await this.branchWithQuestion(user.id, sessionId, this.config.historyMaxMessages + 1);
    const question = branch.find((message) => message.role === 'user' || message.role === 'tool');
    if (!question) throw new AppError('NOTHING_TO_REGENERATE', 'This session has no question to answer again');
    const at = branch.indexOf(question);
    const replaced = branch[0]?.role === 'assistant' ? branch[0] : undefined;
    const tools = dto.tools ?? replaced?.tools ?? (question.role === 'tool' ? branch[at + 1]?.tools : undefined) ?? undefined;
    const spec: TurnSpec = {
      existing,
      ...(await this.resolveTarget(user, dto, existing)),
      ...turnSettings(dto, existing),
      tools,
      toolChoice: dto.toolChoice,
      parentId: question.id,
      context: storedTurns(branch.slice(at)),
    };
    return this.attach(await this.startUnlessGone(user, spec, clientGone, new ChatEventWriter()), dto.detach === true);
  }

  /** Your message rewritten: a new version beside the old one, answered from the same point of the conversation. */
  async edit(user: AuthUser, sessionId: string, messageId: string, dto: EditMessageDto, clientGone: AbortSignal): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const existing = await this.sessions.get(user.id, sessionId);
    const original = await this.messages.findOwned(user.id, sessionId, messageId);
    if (!original) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    if (original.role !== 'user') throw new AppError('MESSAGE_NOT_EDITABLE', 'Only your own messages can be edited; regenerate a reply instead');
    const before = original.parentId ? await this.messages.branchOwned(user.id, sessionId, this.config.historyMaxMessages - 1, original.parentId) : [];
    // The new version keeps the files of the one it replaces.
    const files = fileParts(original.parts);
    const questionParts: MessagePart[] | undefined = files.length > 0 ? [{ type: 'text', text: dto.content }, ...files] : undefined;
    const spec: TurnSpec = {
      existing,
      ...(await this.resolveTarget(user, dto, existing)),
      question: dto.content,
      ...(questionParts && { questionParts }),
      // Like a regenerated reply, the new answer is offered the tools the edited question's reply was.
      tools: dto.tools ?? (await this.messages.newestReplyOwned(user.id, sessionId, original.id))?.tools ?? undefined,
      toolChoice: dto.toolChoice,
      parentId: original.parentId,
      context: [{ role: 'user', content: dto.content, files: fileParts(questionParts) }, ...storedTurns(before)],
      ...turnSettings(dto, existing),
    };
    return this.attach(await this.startUnlessGone(user, spec, clientGone, new ChatEventWriter()), dto.detach === true);
  }

  /**
   * The results of the latest reply's tool calls, one for each call: recorded as a `tool` message after that
   * reply, and the turn goes on with a new reply offered the same tools (unless the request names others).
   */
  async submitToolResults(user: AuthUser, sessionId: string, dto: ToolResultsDto, clientGone: AbortSignal): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const existing = await this.sessions.get(user.id, sessionId);
    const branch = await this.branchWithQuestion(user.id, sessionId, this.config.historyMaxMessages - 1);
    const reply = branch[0];
    if (reply?.role === 'assistant' && reply.status === 'streaming') {
      throw new AppError('GENERATION_IN_PROGRESS', 'The latest reply is still being generated: send the results once it is done');
    }
    const calls = reply?.role === 'assistant' && reply.status === 'complete' ? toolCallsOf(reply) : [];
    if (!reply || calls.length === 0) throw new AppError('NO_PENDING_TOOL_CALLS', 'The latest reply of this session has no tool calls waiting for results');
    const results = matchToolResults(calls, dto.results);
    const spec: TurnSpec = {
      existing,
      ...(await this.resolveTarget(user, dto, existing)),
      ...turnSettings(dto, existing),
      toolResults: results,
      tools: dto.tools ?? reply.tools ?? undefined,
      toolChoice: dto.toolChoice,
      parentId: reply.id,
      context: [...results.map(({ toolCallId, content }): ChatTurn => ({ role: 'tool', toolCallId, content })).reverse(), ...storedTurns(branch)],
    };
    return this.attach(await this.startUnlessGone(user, spec, clientGone, new ChatEventWriter()), dto.detach === true);
  }

  /** A turn whose history the client sent (the OpenAI-compatible API): recorded as a new session. */
  async startWithHistory(user: AuthUser, spec: Omit<TurnSpec, 'existing' | 'parentId'>, encoder: ReplyEncoder): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const context = capTurns(spec.context, this.config.historyMaxMessages);
    return this.attach(await this.start(user, { ...spec, parentId: null, context }, encoder, false), false);
  }

  /**
   * A turn with the history the client sent that continues a recorded conversation after one of its messages (the
   * Responses API's previous_response_id): the client's system messages stay oldest, the recorded branch comes
   * between them and the new turns.
   */
  async continueWithHistory(
    user: AuthUser,
    after: { sessionId: string; messageId: string },
    spec: Omit<TurnSpec, 'existing' | 'parentId'>,
    encoder: ReplyEncoder,
  ): Promise<Observable<MessageEvent>> {
    this.assertCanStart(user);
    const existing = await this.sessions.get(user.id, after.sessionId);
    if (!(await this.messages.findOwned(user.id, existing.id, after.messageId))) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    const system = spec.context.filter((turn) => turn.role === 'system');
    const turns = spec.context.filter((turn) => turn.role !== 'system');
    const recorded = await this.branchWithQuestion(user.id, existing.id, this.config.historyMaxMessages, after.messageId);
    const context = capTurns([...turns, ...storedTurns(recorded), ...system], this.config.historyMaxMessages);
    return this.attach(await this.start(user, { ...spec, existing, parentId: after.messageId, context }, encoder, false), false);
  }

  /**
   * The session's running reply from where the client is (all of it without a position), then live; or its
   * latest reply if none runs. Null when there is nothing to send. Following never stops the reply.
   */
  async follow(user: AuthUser, sessionId: string, after?: EventPosition): Promise<Observable<MessageEvent> | null> {
    await this.sessions.get(user.id, sessionId);
    const events = await this.generations.follow(sessionId, after);
    return events && withHeartbeat(events, this.config.heartbeatMs);
  }

  /**
   * Stops the session's running reply wherever it runs; resolves once the partial reply is saved. Idempotent.
   * A reply whose replica died is marked `aborted` (as the stale-reply sweep would) and its session freed at once,
   * also once its lease has expired.
   */
  async stop(user: AuthUser, sessionId: string): Promise<boolean> {
    await this.sessions.get(user.id, sessionId);
    return this.generations.stop(user.id, sessionId);
  }

  /**
   * The new message's parts when it attaches files: each must be the user's (404 otherwise), not already owned by
   * another session (a file goes with its session), and together within FILES_CONTEXT_MAX_BYTES.
   */
  private async attachable(user: AuthUser, fileIds: readonly string[], text: string, sessionId?: string): Promise<MessagePart[] | undefined> {
    if (fileIds.length === 0) return undefined;
    const files = await this.files.ownedAll(user.id, fileIds);
    if (files.some((file) => file.sessionId !== null && file.sessionId !== sessionId)) {
      throw new AppError('FILE_ATTACHED_ELSEWHERE', 'A file belongs to the session it was first sent in: upload it again to send it in another');
    }
    if (files.reduce((sum, file) => sum + file.size, 0) > this.filesLimits.contextMaxBytes) {
      throw new AppError('ATTACHMENTS_TOO_LARGE', `The files attached exceed ${this.filesLimits.contextMaxBytes} bytes together`);
    }
    return [{ type: 'text', text }, ...files.map((file): MessagePart => ({ type: 'file', fileId: file.id, mediaType: file.mediaType, filename: file.filename }))];
  }

  /**
   * The branch (see `branchOwned`), and when the newest chain of tool calls and results is longer than `limit`,
   * the question that began it after it (oldest): the chain is never sent without its question, and the rounds
   * between (more than the cap) are left out, read by one bounded query.
   */
  private async branchWithQuestion(userId: string, sessionId: string, limit: number, leafId?: string): Promise<BranchMessage[]> {
    const branch = await this.messages.branchOwned(userId, sessionId, limit, leafId);
    const oldest = branch.at(-1);
    if (branch.length < limit || !oldest?.parentId || branch.some((message) => message.role === 'user')) return branch;
    const question = await this.messages.chainQuestionOwned(userId, sessionId, oldest.parentId);
    return question ? [...branch, question] : branch;
  }

  private assertCanStart(user: AuthUser): void {
    if (!this.generations.accepting) throw new AppError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance');
    if (this.generations.runningFor(user.id) >= this.config.maxConcurrentPerUser) {
      throw new AppError('TOO_MANY_GENERATIONS', `You already have ${this.config.maxConcurrentPerUser} replies being generated; wait for one to finish`);
    }
  }

  /** The provider (or alias) and model asked for, else the session's (or the preset's), else the saved default. */
  private async resolveTarget(user: AuthUser, dto: GenerationOptionsDto, source?: SettingsSource): Promise<Target> {
    const providerId = (dto.provider ?? source?.provider ?? undefined) as Target['providerId'] | undefined;
    if (!providerId) throw new AppError('VALIDATION_FAILED', 'provider is required to start a new session');
    const asked = dto.model ?? (source?.provider === providerId ? source.model : undefined) ?? undefined;
    if (asked) return { providerId, model: asked };
    if (providerId === ALIAS_PROVIDER) throw new AppError('MODEL_REQUIRED', 'model is required: the name of the alias');
    const endpoint = await this.providers.resolveEndpoint(user.id, providerId);
    const model = endpoint.defaultModel ?? endpoint.info.defaultModel;
    if (!model) throw new AppError('MODEL_REQUIRED', `model is required: ${endpoint.info.label} has no default model saved`);
    return { providerId, model };
  }

  /**
   * The `title` event after `done`, if the title is saved within TITLE_WAIT_MS of it; nothing otherwise (a later
   * title is still saved and shows in the session list). Numbered on from the reply's events.
   */
  private titleEvent(title: Promise<string | null>, writer: ChatEventWriter): Observable<MessageEvent> {
    return from(title).pipe(
      timeout({ first: this.config.titleWaitMs, with: () => EMPTY }),
      filter((saved): saved is string => saved !== null),
      map((saved) => writer.title(saved)),
    );
  }

  /** A client that left during the checks gets nothing written: no session, no question without an answer. */
  private async startUnlessGone(user: AuthUser, spec: TurnSpec, clientGone: AbortSignal, writer: ChatEventWriter): Promise<Generation | null> {
    return clientGone.aborted ? null : this.start(user, spec, writer, true);
  }

  /** Routes the turn (policy, alias, cooldowns: any refusal is still a plain JSON error) and starts its reply. */
  private async start(user: AuthUser, spec: TurnSpec, encoder: ReplyEncoder, shared: boolean): Promise<Generation> {
    const { existing, question } = spec;
    const window = selectHistory(spec.context, this.config.historyMaxChars);
    const historyTools = spec.tools?.length ? undefined : toolsOfHistory(window);
    const history = await readFiles(window, this.filesLimits.contextMaxBytes, {
      sizes: (fileIds) => this.files.sizes(user.id, fileIds),
      bytes: (fileIds) => this.files.readBytes(user.id, fileIds),
    });
    const route = await this.routing.route(
      user,
      { provider: spec.providerId, model: spec.model },
      {
        messages: [...(spec.systemPrompt ? [{ role: 'system' as const, content: spec.systemPrompt }] : []), ...history],
        temperature: spec.temperature ?? this.config.defaultTemperature,
        ...(spec.maxTokens !== undefined && { maxTokens: spec.maxTokens }),
        ...(spec.reasoning && { reasoning: spec.reasoning }),
        ...(spec.tools?.length && {
          tools: spec.tools,
          ...(spec.toolChoice && { toolChoice: spec.toolChoice }),
          ...(spec.parallelToolCalls !== undefined && { parallelToolCalls: spec.parallelToolCalls }),
        }),
        ...(historyTools && { tools: historyTools, toolChoice: 'none' as const }),
      },
    );
    return this.generations.start({
      turn: {
        userId: user.id,
        sessionId: existing?.id ?? randomUUID(),
        ...(!existing && { newSession: { title: question?.trim().slice(0, TITLE_LENGTH) || DEFAULT_TITLE, ...(spec.newSettings && { settings: spec.newSettings }) } }),
        provider: spec.providerId,
        model: spec.model,
        parentId: spec.parentId,
        ...(question !== undefined && { question: { id: randomUUID(), content: question, ...(spec.questionParts && { parts: spec.questionParts }) } }),
        ...(spec.toolResults && {
          question: { id: randomUUID(), content: '', role: 'tool' as const, parts: spec.toolResults.map((result) => ({ type: 'tool_result' as const, ...result })) },
        }),
        replyId: randomUUID(),
        ...(spec.tools?.length && { tools: spec.tools }),
      },
      role: user.role,
      encoder,
      persist: spec.persist ?? true,
      shared,
      ...route,
    });
  }

  /**
   * The requesting client's stream: the generation's events with heartbeats. Its disconnect stops the reply,
   * unless it detached, in which case the reply is finished and saved for whoever follows the session.
   */
  private attach(generation: Generation | null, detach: boolean, afterEnd: Observable<MessageEvent> = EMPTY): Observable<MessageEvent> {
    if (!generation) return EMPTY;
    const live = withHeartbeat(generation.events, this.config.heartbeatMs);
    // `concat` puts an operator's subscriber between every delta and the client (0.8 % of a /v1 gateway's CPU under
    // paced load, in perf): only for a stream that goes on after the reply (a new session's title).
    const events = afterEnd === EMPTY ? live : concat(live, afterEnd);
    return new Observable<MessageEvent>((subscriber) => {
      const subscription = events.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (!detach && !generation.ended) void generation.stop('client_disconnected');
      };
    });
  }
}

/** The results in the order of the calls they answer; each call answered exactly once, by one of its ids. */
function matchToolResults(calls: readonly ToolCall[], results: readonly { toolCallId: string; content: string }[]): { toolCallId: string; content: string }[] {
  const ids = new Set(calls.map((call) => call.id));
  const answers = new Map<string, string>();
  for (const { toolCallId, content } of results) {
    if (!ids.has(toolCallId)) throw new AppError('TOOL_CALL_UNKNOWN', `${toolCallId.slice(0, 100)} is not a tool call of the latest reply`);
    if (answers.has(toolCallId)) throw new AppError('TOOL_RESULT_DUPLICATE', `${toolCallId.slice(0, 100)} is answered twice`);
    answers.set(toolCallId, content);
  }
  const missing = calls.filter((call) => !answers.has(call.id));
  if (missing.length > 0) {
    throw new AppError('TOOL_RESULTS_MISSING', `Every tool call needs its result; missing: ${missing.slice(0, 10).map((call) => call.id).join(', ')}${missing.length > 10 ? ', …' : ''}`);
  }
  return calls.map((call) => ({ toolCallId: call.id, content: answers.get(call.id)! }));
}
