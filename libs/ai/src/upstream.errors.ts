export type UpstreamErrorCode =
  | 'upstream_auth'
  | 'upstream_rate_limited'
  | 'upstream_bad_request'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'upstream_blocked'
  | 'upstream_too_large';

/**
 * The only error a strategy emits. `message` is a short summary safe to show a user:
 * never the upstream body verbatim, never a key.
 */
export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
