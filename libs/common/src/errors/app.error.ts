import { HttpStatus } from '@nestjs/common';

/** Stable codes clients can branch on; the HTTP status of each lives in one table. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: HttpStatus.BAD_REQUEST,
  EMAIL_TAKEN: HttpStatus.CONFLICT,
  INVALID_CREDENTIALS: HttpStatus.UNAUTHORIZED,
  UNAUTHENTICATED: HttpStatus.UNAUTHORIZED,
  FORBIDDEN: HttpStatus.FORBIDDEN,
  LAST_ADMIN: HttpStatus.CONFLICT,
  REFRESH_TOKEN_INVALID: HttpStatus.UNAUTHORIZED,
  ACCOUNT_DISABLED: HttpStatus.FORBIDDEN,
  CURRENT_PASSWORD_INCORRECT: HttpStatus.FORBIDDEN,
  PASSWORD_NOT_SET: HttpStatus.CONFLICT,
  EXPORT_IN_PROGRESS: HttpStatus.CONFLICT,
  USER_NOT_FOUND: HttpStatus.NOT_FOUND,
  SESSION_NOT_FOUND: HttpStatus.NOT_FOUND,
  MESSAGE_NOT_FOUND: HttpStatus.NOT_FOUND,
  FOLDER_NOT_FOUND: HttpStatus.NOT_FOUND,
  FOLDER_LIMIT_REACHED: HttpStatus.CONFLICT,
  PRESET_NOT_FOUND: HttpStatus.NOT_FOUND,
  PRESET_LIMIT_REACHED: HttpStatus.CONFLICT,
  SHARE_NOT_FOUND: HttpStatus.NOT_FOUND,
  SHARE_LIMIT_REACHED: HttpStatus.CONFLICT,
  FEEDBACK_NOT_ALLOWED: HttpStatus.BAD_REQUEST,
  UNKNOWN_PROVIDER: HttpStatus.BAD_REQUEST,
  PROVIDER_NOT_CONFIGURED: HttpStatus.BAD_REQUEST,
  CREDENTIAL_NOT_FOUND: HttpStatus.NOT_FOUND,
  CREDENTIAL_UNREADABLE: HttpStatus.BAD_REQUEST,
  API_KEY_NOT_FOUND: HttpStatus.NOT_FOUND,
  UPSTREAM_FAILED: HttpStatus.BAD_GATEWAY,
  UPSTREAM_TIMEOUT: HttpStatus.GATEWAY_TIMEOUT,
  UPSTREAM_RATE_LIMITED: HttpStatus.TOO_MANY_REQUESTS,
  UPSTREAM_REJECTED: HttpStatus.BAD_REQUEST,
  UPSTREAM_URL_REJECTED: HttpStatus.BAD_REQUEST,
  MODEL_REQUIRED: HttpStatus.BAD_REQUEST,
  NOT_READY: HttpStatus.SERVICE_UNAVAILABLE,
  SHUTTING_DOWN: HttpStatus.SERVICE_UNAVAILABLE,
  TOO_MANY_GENERATIONS: HttpStatus.TOO_MANY_REQUESTS,
  GENERATION_IN_PROGRESS: HttpStatus.CONFLICT,
  NOTHING_TO_REGENERATE: HttpStatus.CONFLICT,
  MESSAGE_NOT_EDITABLE: HttpStatus.BAD_REQUEST,
  DEPENDENCY_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  PASSWORD_LOGIN_DISABLED: HttpStatus.FORBIDDEN,
  REGISTRATION_CLOSED: HttpStatus.FORBIDDEN,
  SSO_NOT_CONFIGURED: HttpStatus.NOT_FOUND,
  LOGIN_CODE_INVALID: HttpStatus.UNAUTHORIZED,
} as const satisfies Record<string, HttpStatus>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** A domain error: services throw these, the global filter turns them into HTTP answers. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): HttpStatus {
    return ERROR_STATUS[this.code];
  }
}
