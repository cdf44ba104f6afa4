import { Injectable } from '@nestjs/common';
import { acceptsAttachments, type ChatRequest, type ChatTurn, type ProviderId, ProviderRegistry, type ReasoningOptions } from '@app/ai';
import { AppError } from '@app/common';
import type { AliasTarget, ReplyAttempt } from '@app/persistence';
import type { AuthUser } from '../auth/auth-user.js';
import type { RouteTarget } from '../generations/generation.js';
import { RouteCooldowns } from '../generations/route-cooldowns.js';
import { ALIAS_PROVIDER } from '../model-access/model-policy.js';
import { ModelPoliciesService } from '../model-access/model-policies.service.js';
import { ProvidersService } from '../providers/providers.service.js';
import { ModelAliasesService } from './model-aliases.service.js';

/** What a caller asked for: a provider's model, or an alias (`alias`, `fast`). */
export interface ModelChoice {
  provider: ProviderId | typeof ALIAS_PROVIDER;
  model: string;
}

/** The request's settings before the caller's caps apply. */
export interface RequestSettings extends Pick<ChatRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'> {
  messages: ChatTurn[];
  temperature: number;
  maxTokens?: number;
  reasoning?: ReasoningOptions;
}

/** Where a reply goes, in order, and what was passed over on the way (the start of its `attempts`). */
export interface Route {
  targets: RouteTarget[];
  skipped: ReplyAttempt[];
}

/**
 * Decides where a reply goes, before any event: refuses a model the caller's policy does not allow (403
 * model_not_allowed), applies the policy's caps, expands an alias into its targets and fallbacks, and passes
 * over the connections cooling down after a recent failure (unless every one is: a cooldown is a guess, a
 * request is an answer). Every path that starts a reply (the chat stream, /v1, NATS) comes through here.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly policies: ModelPoliciesService,
    private readonly aliases: ModelAliasesService,
    private readonly providers: ProvidersService,
    private readonly registry: ProviderRegistry,
    private readonly cooldowns: RouteCooldowns,
  ) {}

  async route(user: AuthUser, choice: ModelChoice, settings: RequestSettings): Promise<Route> {
    const policy = await this.policies.assertAllowed(user, choice.provider, choice.model);
    const places: AliasTarget[] = choice.provider === ALIAS_PROVIDER ? await this.aliases.route(choice.model) : [{ provider: choice.provider, model: choice.model }];
    const { tools, toolChoice, parallelToolCalls } = settings;
    const offered = { ...(tools && { tools }), ...(toolChoice && { toolChoice }), ...(parallelToolCalls !== undefined && { parallelToolCalls }) };
    const request = { messages: settings.messages, ...(settings.reasoning && { reasoning: settings.reasoning }), ...offered, ...policy.limit(settings) };
    const resolved: RouteTarget[] = [];
    const unusable: ReplyAttempt[] = [];
    let firstRefusal: unknown;
    for (const place of places) {
      try {
        resolved.push(await this.target(user, place, request));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        firstRefusal ??= error;
        unusable.push({ provider: place.provider ?? 'connection', connection: place.connection ?? null, model: place.model, status: 'skipped', code: error.code.toLowerCase(), ms: 0 });
      }
    }
    if (resolved.length === 0) throw firstRefusal;
    const cooling = await this.cooldowns.coolingAmong(resolved.map((target) => target.cooldownKey));
    const ready = resolved.filter((target) => !cooling.has(target.cooldownKey));
    if (ready.length === 0) return { targets: resolved, skipped: unusable };
    const passedOver = resolved.filter((target) => cooling.has(target.cooldownKey)).map((target) => skippedAttempt(target, 'cooling_down'));
    return { targets: ready, skipped: [...unusable, ...passedOver] };
  }

  private async target(user: AuthUser, place: AliasTarget, request: Omit<RouteTarget['request'], 'model' | 'baseUrl' | 'apiKey'>): Promise<RouteTarget> {
    const endpoint = place.connection
      ? await this.providers.endpointForConnection(place.connection)
      : await this.providers.resolveEndpoint(user.id, place.provider as ProviderId, place.model);
    const providerId = endpoint.info.id;
    const messages = readableMessages(providerId, place.model, request.messages);
    return {
      providerId,
      connectionId: endpoint.connectionId,
      // A user's own key fails for that user only; a connection fails for everyone it serves.
      cooldownKey: endpoint.connectionId ? `connection:${endpoint.connectionId}` : `user:${user.id}:${providerId}`,
      provider: this.registry.forProvider(providerId),
      request: { ...request, messages, model: place.model, baseUrl: endpoint.baseUrl, ...(endpoint.apiKey && { apiKey: endpoint.apiKey }) },
    };
  }
}

/**
 * The messages as `model` can read them: a model that does not read the files attached to the new message is
 * refused (ATTACHMENTS_NOT_SUPPORTED, an alias then passes over it); those of earlier turns it cannot read are left
 * out, so that a conversation can go on with a text model.
 */
function readableMessages(providerId: ProviderId, model: string, messages: ChatTurn[]): ChatTurn[] {
  const mediaTypes = (turns: ChatTurn[]) => turns.flatMap((turn) => turn.attachments?.map((attachment) => attachment.mediaType) ?? []);
  if (mediaTypes(messages).length === 0 || acceptsAttachments(providerId, model, mediaTypes(messages))) return messages;
  const newest = messages.at(-1);
  if (newest && mediaTypes([newest]).length > 0 && !acceptsAttachments(providerId, model, mediaTypes([newest]))) {
    throw new AppError('ATTACHMENTS_NOT_SUPPORTED', `${model.slice(0, 200)} does not read the files attached (images or PDF); choose a model that does`);
  }
  return messages.map((turn) => (turn.attachments ? { ...turn, attachments: turn.attachments.filter((file) => acceptsAttachments(providerId, model, [file.mediaType])) } : turn));
}

const skippedAttempt = (target: RouteTarget, code: string): ReplyAttempt => ({
  provider: target.providerId,
  connection: target.connectionId,
  model: target.request.model,
  status: 'skipped',
  code,
  ms: 0,
});
