import { InitialSchema1764000000000 } from './1764000000000-initial-schema.js';
import { ApiKeys1764100000000 } from './1764100000000-api-keys.js';
import { MessageBranches1764200000000 } from './1764200000000-message-branches.js';
import { SessionRetention1764300000000 } from './1764300000000-session-retention.js';
import { Identity1765000000000 } from './1765000000000-identity.js';
import { RefreshTokenVersion1765200000000 } from './1765200000000-refresh-token-version.js';
import { ConversationLibrary1765400000000 } from './1765400000000-conversation-library.js';
import { ProviderConnections1766000000000 } from './1766000000000-provider-connections.js';
import { ModelRouting1766100000000 } from './1766100000000-model-routing.js';
import { UsageAndPrices1766200000000 } from './1766200000000-usage-and-prices.js';
import { Budgets1766300000000 } from './1766300000000-budgets.js';
import { SessionSettings1766600000000 } from './1766600000000-session-settings.js';
import { MessageParts1766500000000 } from './1766500000000-message-parts.js';
import { Files1766700000000 } from './1766700000000-files.js';
import { ReplyTools1766800000000 } from './1766800000000-reply-tools.js';
import { UsageOncePerMessage1766900000000 } from './1766900000000-usage-once-per-message.js';

/** Explicit, ordered list: no globs (there is no __dirname under ESM, and a glob hides what runs). */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  ApiKeys1764100000000,
  MessageBranches1764200000000,
  SessionRetention1764300000000,
  Identity1765000000000,
  RefreshTokenVersion1765200000000,
  ConversationLibrary1765400000000,
  ProviderConnections1766000000000,
  ModelRouting1766100000000,
  UsageAndPrices1766200000000,
  Budgets1766300000000,
  SessionSettings1766600000000,
  MessageParts1766500000000,
  Files1766700000000,
  ReplyTools1766800000000,
  UsageOncePerMessage1766900000000,
];
