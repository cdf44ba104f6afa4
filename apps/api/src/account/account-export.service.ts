import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppError } from '@app/common';
import {
  ApiKeysRepository,
  ChatSessionsRepository,
  MessagesRepository,
  PresetsRepository,
  ProviderCredentialsRepository,
  type UserEntity,
  UsersRepository,
} from '@app/persistence';
import { mapApiKey } from '../api-keys/dto/api-key.dto.js';
import { mapPreset } from '../presets/dto/preset.dto.js';
import { MAX_PRESETS_PER_USER } from '../presets/presets.service.js';
import { mapCredential } from '../providers/dto/provider-response.dto.js';
import { mapSession } from '../sessions/dto/session-response.dto.js';
import { mapExportedMessage, mapExportedProfile } from './dto/account-export.dto.js';

/** Rows read per query: memory holds one page at a time, whatever the account's size. */
const SESSIONS_PER_PAGE = 50;
const MESSAGES_PER_PAGE = 50;

/**
 * All of a user's data as one JSON document, written while it is read: a page of sessions, then each session's
 * messages page by page, so an account with ten thousand sessions costs time, not memory. The response stream's
 * backpressure paces the reads, and a client that goes away stops them.
 */
@Injectable()
export class AccountExportService {
  /** Users with an export running on this replica: one at a time each, as an export can be long. */
  private readonly running = new Set<string>();

  constructor(
    private readonly users: UsersRepository,
    private readonly credentials: ProviderCredentialsRepository,
    private readonly apiKeys: ApiKeysRepository,
    private readonly sessions: ChatSessionsRepository,
    private readonly messages: MessagesRepository,
    private readonly presets: PresetsRepository,
  ) {}

  /** The export as a stream of JSON text; refused before anything is sent when one is already running. */
  async open(userId: string): Promise<Readable> {
    if (this.running.has(userId)) throw new AppError('EXPORT_IN_PROGRESS', 'An export of this account is already running; wait for it to finish');
    this.running.add(userId);
    try {
      const user = await this.users.findSelf(userId);
      if (!user) throw new AppError('USER_NOT_FOUND', 'User not found');
      // Bytes, not objects: read-ahead is bounded by the stream's byte buffer, not by a count of (large) pages.
      const stream = Readable.from(this.document(user), { objectMode: false });
      // Ended, failed or abandoned by the client: the stream closes either way.
      stream.once('close', () => this.running.delete(userId));
      return stream;
    } catch (error) {
      this.running.delete(userId);
      throw error;
    }
  }

  private async *document(user: UserEntity): AsyncGenerator<string> {
    // A user's presets are bounded (MAX_PRESETS_PER_USER): one page holds them all.
    const [credentials, keys, presets] = await Promise.all([
      this.credentials.listOwned(user.id),
      this.apiKeys.listOwned(user.id),
      this.presets.listOwned(user.id, MAX_PRESETS_PER_USER),
    ]);
    const head = {
      exportedAt: new Date(),
      user: mapExportedProfile(user),
      providers: credentials.map((credential) => ({ ...mapCredential(credential), hasKey: credential.apiKeyEncrypted !== null })),
      apiKeys: keys.map(mapApiKey),
      presets: presets.map(mapPreset),
    };
    // The head's closing brace is dropped so the sessions array continues the same object.
    yield `${JSON.stringify(head).slice(0, -1)},"sessions":[`;
    let separator = '';
    for (let afterId: string | undefined; ; ) {
      const page = await this.sessions.pageOwnedById(user.id, SESSIONS_PER_PAGE, afterId);
      for (const session of page) {
        yield `${separator}${JSON.stringify(mapSession(session)).slice(0, -1)},"messages":[`;
        separator = ',';
        yield* this.messagesOf(user.id, session.id);
        yield ']}';
      }
      if (page.length < SESSIONS_PER_PAGE) break;
      afterId = page.at(-1)!.id;
    }
    yield ']}';
  }

  private async *messagesOf(userId: string, sessionId: string): AsyncGenerator<string> {
    let separator = '';
    for (let afterId: string | undefined; ; ) {
      const page = await this.messages.pageOwned(userId, sessionId, MESSAGES_PER_PAGE, afterId);
      if (page.length > 0) yield separator + page.map((message) => JSON.stringify(mapExportedMessage(message))).join(',');
      separator = ',';
      if (page.length < MESSAGES_PER_PAGE) return;
      afterId = page.at(-1)!.id;
    }
  }
}
