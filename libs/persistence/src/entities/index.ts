import { ApiKeyEntity } from './api-key.entity.js';
import { AuditEventEntity } from './audit-event.entity.js';
import { BudgetPeriodEntity, BudgetReservationEntity, RoleBudgetEntity, UserBudgetEntity } from './budget.entities.js';
import { ChatSessionEntity } from './chat-session.entity.js';
import { FileEntity } from './file.entity.js';
import { FolderEntity } from './folder.entity.js';
import { MessageEntity } from './message.entity.js';
import { LoginCodeEntity } from './login-code.entity.js';
import { MessageFeedbackEntity } from './message-feedback.entity.js';
import { ProviderConnectionEntity } from './provider-connection.entity.js';
import { ModelAliasEntity } from './model-alias.entity.js';
import { ModelPolicyEntity } from './model-policy.entity.js';
import { ModelPriceEntity } from './model-price.entity.js';
import { PresetEntity } from './preset.entity.js';
import { ProviderCredentialEntity } from './provider-credential.entity.js';
import { RefreshTokenEntity } from './refresh-token.entity.js';
import { SharedLinkEntity } from './shared-link.entity.js';
import { UsageRecordEntity } from './usage-record.entity.js';
import { UserEntity } from './user.entity.js';

export {
  ApiKeyEntity,
  AuditEventEntity,
  BudgetPeriodEntity,
  BudgetReservationEntity,
  ChatSessionEntity,
  FileEntity,
  FolderEntity,
  LoginCodeEntity,
  MessageEntity,
  MessageFeedbackEntity,
  ProviderConnectionEntity,
  ModelAliasEntity,
  ModelPolicyEntity,
  ModelPriceEntity,
  PresetEntity,
  ProviderCredentialEntity,
  RefreshTokenEntity,
  RoleBudgetEntity,
  SharedLinkEntity,
  UserBudgetEntity,
  UsageRecordEntity,
  UserEntity,
};
export { FEEDBACK_RATINGS, type FeedbackRating } from './message-feedback.entity.js';
export type { SharedPart, SharedSnapshot } from './shared-link.entity.js';
export { USER_ROLES, type UserRole } from './user.entity.js';
export { CONNECTION_SOURCES, type ConnectionSource } from './provider-connection.entity.js';
export { USAGE_STATUSES, type UsageStatus } from './usage-record.entity.js';
export type { StoredReasoning } from './preset.entity.js';
export type { AuditDetail } from './audit-event.entity.js';
export type { AliasTarget } from './model-alias.entity.js';
export {
  MESSAGE_PART_TYPES,
  MESSAGE_ROLES,
  MESSAGE_STATUSES,
  type MessagePart,
  type OfferedTool,
  type MessagePartType,
  type MessageRole,
  type MessageStatus,
  type PartMetadata,
  type ReplyAttempt,
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
  ProviderConnectionEntity,
  ModelPolicyEntity,
  ModelAliasEntity,
  RoleBudgetEntity,
  UserBudgetEntity,
  BudgetPeriodEntity,
  BudgetReservationEntity,
  ModelPriceEntity,
  UsageRecordEntity,
  PresetEntity,
  FileEntity,
];
