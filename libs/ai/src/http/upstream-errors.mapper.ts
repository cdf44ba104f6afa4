import { UpstreamError, type UpstreamErrorCode } from '../upstream.errors.js';

const MAX_SUMMARY = 200;

/** Removes anything that looks like a credential before text reaches a user, a log or the database. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(sk|pk|rk|sess)-[A-Za-z0-9_*.-]{4,}/g, '$1-…')
    .replace(/\bAIza[0-9A-Za-z_-]{8,}/g, 'AIza…')
    .replace(/(Bearer\s+)\S+/gi, '$1…')
    .replace(/([?&](?:key|api_key|apikey|token|access_token)=)[^&\s"']+/gi, '$1…');
}

function statusCode(status: number): UpstreamErrorCode {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 429 || status === 529) return 'upstream_rate_limited';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status >= 400 && status < 500) return 'upstream_bad_request';
  return 'upstream_error';
}

/** The provider's own `error.message` (every provider we speak nests it so), shortened and redacted. */
function providerMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof message !== 'string' || !message) return undefined;
    const short = message.length > MAX_SUMMARY ? `${message.slice(0, MAX_SUMMARY)}…` : message;
    return redactSecrets(short);
  } catch {
    return undefined;
  }
}

export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** An upstream HTTP failure as a user may see it: a stable code and a summary, never the raw body. */
export function errorFromStatus(status: number, body: string, retryAfter?: string | string[]): UpstreamError {
  const detail = providerMessage(body);
  const summary = `The provider answered HTTP ${status}${detail ? `: ${detail}` : ''}`;
  return new UpstreamError(statusCode(status), summary, status, status === 429 ? parseRetryAfter(retryAfter) : undefined);
}

/** Anthropic and OpenAI can also report a failure inside a 200 stream, typed like their HTTP errors. */
export function errorFromStreamType(type: string | undefined, message: unknown): UpstreamError {
  const code: UpstreamErrorCode =
    type === 'authentication_error' || type === 'permission_error'
      ? 'upstream_auth'
      : type === 'rate_limit_error' || type === 'overloaded_error'
        ? 'upstream_rate_limited'
        : type === 'invalid_request_error'
          ? 'upstream_bad_request'
          : 'upstream_error';
  const text = typeof message === 'string' && message ? redactSecrets(message.slice(0, MAX_SUMMARY)) : 'no detail';
  return new UpstreamError(code, `The provider reported an error mid-stream: ${text}`);
}
