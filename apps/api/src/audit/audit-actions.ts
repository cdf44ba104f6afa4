/** Every action the audit log records; a closed list, so administrators can filter on a known vocabulary. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.refresh_reuse',
  'auth.logout',
  'auth.logout_all',
  'auth.password_changed',
  'user.registered',
  'user.role_changed',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'api_key.created',
  'api_key.revoked',
  'provider.credential_saved',
  'provider.credential_deleted',
  'connection.created',
  'connection.updated',
  'connection.deleted',
  'model_policy.saved',
  'model_policy.deleted',
  'model_alias.saved',
  'model_alias.deleted',
  'price.created',
  'price.updated',
  'price.deleted',
  'budget.role_set',
  'budget.role_removed',
  'budget.user_set',
  'budget.user_removed',
  'budget.threshold_80',
  'budget.threshold_100',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The actor of what the server does by itself (start-up promotions, sweeps). */
export const SYSTEM_ACTOR = 'system';
