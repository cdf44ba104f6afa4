import { Injectable } from '@nestjs/common';
import { AppError, hashOpaqueSecret } from '@app/common';
import { type MessagePart, type SharedLinkInfo, SharedLinksRepository, type SharedPart, type SharedSnapshot } from '@app/persistence';
import { messageParts } from '../sessions/dto/session-response.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { generateShareToken, SHARE_TOKEN_PATTERN } from './share-token.js';

/** Live links one session, and one user, may have: each holds a copy of a conversation. */
export const MAX_LINKS_PER_SESSION = 20;
export const MAX_LINKS_PER_USER = 200;

export interface CreatedLink {
  link: SharedLinkInfo;
  token: string;
}

/**
 * A part as a reader sees it. Reasoning keeps its text but not the provider's signature, and a redacted block,
 * which holds nothing readable, is left out: both are data for the provider alone. A file is its name and type:
 * its id would lead nowhere for a reader (files are their owner's) and its bytes are never shared.
 */
function sharedPart(part: MessagePart): SharedPart[] {
  switch (part.type) {
    case 'reasoning':
      return part.text === '' ? [] : [{ type: 'reasoning', text: part.text }];
    case 'file':
      return [{ type: 'file', mediaType: part.mediaType, ...(part.filename !== undefined && { filename: part.filename }) }];
    case 'tool_call':
      // Without Gemini's signature: provider data, as a reasoning signature is.
      return [{ type: 'tool_call', id: part.id, name: part.name, arguments: part.arguments }];
    default:
      return [part];
  }
}

/**
 * Read-only links to a snapshot of a conversation, taken when the link is made: later turns are not shown, and
 * the snapshot holds what was said only (no provider, model, usage or error details).
 */
@Injectable()
export class SharingService {
  constructor(
    private readonly links: SharedLinksRepository,
    private readonly sessions: SessionsService,
  ) {}

  async share(userId: string, sessionId: string, expiresInSeconds?: number): Promise<CreatedLink> {
    const session = await this.sessions.get(userId, sessionId);
    const branch = await this.sessions.messagesOf(userId, sessionId, 'branch');
    const snapshot: SharedSnapshot = {
      title: session.title,
      // A reply still being written is left out: the link shows what was there, not a half-sentence.
      messages: branch
        .filter(({ message }) => message.status !== 'streaming')
        .map(({ message }) => ({ role: message.role, content: message.content, parts: messageParts(message).flatMap(sharedPart), createdAt: message.createdAt.toISOString() })),
    };
    const { token, tokenHash } = generateShareToken();
    const expiresAt = expiresInSeconds === undefined ? null : new Date(Date.now() + expiresInSeconds * 1000);
    const link = await this.links.createOwned(
      { userId, sessionId, tokenHash, snapshot, expiresAt },
      { perSession: MAX_LINKS_PER_SESSION, perUser: MAX_LINKS_PER_USER },
    );
    if (link === 'limitReached') {
      throw new AppError('SHARE_LIMIT_REACHED', `A session may have ${MAX_LINKS_PER_SESSION} live links and a user ${MAX_LINKS_PER_USER}: revoke one first`);
    }
    if (!link) throw new AppError('SESSION_NOT_FOUND', 'Session not found');
    return { link, token };
  }

  async list(userId: string, sessionId: string): Promise<SharedLinkInfo[]> {
    await this.sessions.get(userId, sessionId);
    return this.links.listOwned(userId, sessionId);
  }

  async revoke(userId: string, sessionId: string, linkId: string): Promise<void> {
    if (!(await this.links.deleteOwned(userId, sessionId, linkId))) throw new AppError('SHARE_NOT_FOUND', 'Shared link not found');
  }

  /** Anyone with a live token reads its snapshot; a malformed, revoked or expired one is unknown alike (404). */
  async read(token: string) {
    const link = SHARE_TOKEN_PATTERN.test(token) ? await this.links.findLiveByTokenHash(hashOpaqueSecret(token)) : null;
    if (!link) throw new AppError('SHARE_NOT_FOUND', 'Shared link not found');
    return link;
  }
}
