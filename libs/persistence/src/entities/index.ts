import { ApiKeyEntity } from './api-key.entity.js';
import { ChatSessionEntity } from './chat-session.entity.js';
import { MessageEntity } from './message.entity.js';
import { ProviderCredentialEntity } from './provider-credential.entity.js';
import { UserEntity } from './user.entity.js';

export { ApiKeyEntity, ChatSessionEntity, MessageEntity, ProviderCredentialEntity, UserEntity };
export { MESSAGE_ROLES, MESSAGE_STATUSES, type MessageRole, type MessageStatus } from './message.entity.js';

export const ENTITIES = [UserEntity, ProviderCredentialEntity, ChatSessionEntity, MessageEntity, ApiKeyEntity];
