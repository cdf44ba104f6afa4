import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { ApiKeys1764100000000 } from './1764100000000-api-keys.js';
import { MessageBranches1764200000000 } from './1764200000000-message-branches.js';
import { SessionRetention1764300000000 } from './1764300000000-session-retention.js';
import { Identity1765000000000 } from './1765000000000-identity.js';
import { RefreshTokenVersion1765200000000 } from './1765200000000-refresh-token-version.js';
import { ConversationLibrary1765400000000 } from './1765400000000-conversation-library.js';
import { MessageParts1766500000000 } from './1766500000000-message-parts.js';

/** Explicit, ordered list: no globs (there is no __dirname under ESM, and a glob hides what runs). */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  ApiKeys1764100000000,
  MessageBranches1764200000000,
  SessionRetention1764300000000,
  Identity1765000000000,
  RefreshTokenVersion1765200000000,
  ConversationLibrary1765400000000,
  MessageParts1766500000000,
];
