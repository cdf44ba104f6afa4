import { ApiKeyEntity } from './api-key.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { ChatSessionEntity } from './chat-session.entity.js';
import { FolderEntity } from './folder.entity.js';
import { MessageEntity } from './message.entity.js';
import { LoginCodeEntity } from './login-code.entity.js';
import { MessageFeedbackEntity } from './message-feedback.entity.js';
import { ProviderCredentialEntity } from './provider-credential.entity.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { SharedLinkEntity } from './shared-link.entity.js';
import { UserEntity } from './user.entity.js';

export {
  ApiKeyEntity,
  AuditEventEntity,
  ChatSessionEntity,
  FolderEntity,
  LoginCodeEntity,
  MessageEntity,
  MessageFeedbackEntity,
  ProviderCredentialEntity,
  RefreshTokenEntity,
  SharedLinkEntity,
  UserEntity,
};
export { FEEDBACK_RATINGS, type FeedbackRating } from './message-feedback.entity.js';
export type { SharedSnapshot } from './shared-link.entity.js';
export { USER_ROLES, type UserRole } from './user.entity.js';
export type { AuditDetail } from './audit-event.entity.js';
export {
  MESSAGE_PART_TYPES,
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessagePart,
  type MessagePartType,
  type MessageRole,
  type MessageStatus,
  type PartMetadata,
} from './message.entity.js';

export const ENTITIES = [
  UserEntity,
  ProviderCredentialEntity,
  ChatSessionEntity,
  MessageEntity,
  ApiKeyEntity,
  RefreshTokenEntity,
  LoginCodeEntity,
  AuditEventEntity,
  FolderEntity,
  MessageFeedbackEntity,
  SharedLinkEntity,
];
