import { Logger } from '@nestjs/common';
import { UpstreamError, type UpstreamErrorCode } from '../upstream.errors.js';

const MAX_SUMMARY = 200;

/** The codes of failures the provider itself reports (the rest are the HTTP client's). */
type ProviderErrorCode = Exclude<UpstreamErrorCode, 'upstream_blocked' | 'upstream_too_large'>;

/**
 * What a user is told: our code and one fixed sentence per code. A provider's error text is never shown: it can
 * quote the key it was sent (in any disguise) or anything a hostile base URL chooses to say; it goes to the log.
 */
const USER_MESSAGES: Record<ProviderErrorCode, string> = {
  upstream_auth: 'The provider did not accept the API key: check it in your provider settings',
  upstream_rate_limited: 'The provider is rate limiting or overloaded; retry later',
  upstream_bad_request: 'The provider rejected the request (for example an unknown model or a too long conversation)',
  upstream_timeout: 'The provider did not answer in time',
  upstream_error: 'The provider failed to answer',
};

const logger = new Logger('UpstreamErrors');

/** Removes anything that looks like a credential before text reaches a user, a log or the database. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b(sk|pk|rk|sess)-[A-Za-z0-9_*.-]{4,}/g, '$1-…')
    .replace(/\bAIza[0-9A-Za-z_-]{8,}/g, 'AIza…')
    .replace(/(Bearer\s+)\S+/gi, '$1…')
    .replace(/([?&](?:key|api_key|apikey|token|access_token)=)[^&\s"']+/gi, '$1…')
    // A key spelled out a character at a time (`s k - p r o j …`) passes the patterns above: no word of a real
    // message is eight single characters in a row.
    .replace(/(?<![^\s._:-])(?:\S[\s._:-]{1,3}){8,}\S(?![^\s._:-])/g, '…');
}

function statusCode(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 429 || status === 529) return 'upstream_rate_limited';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status >= 400 && status < 500) return 'upstream_bad_request';
  return 'upstream_error';
}

/** Shortened, then redacted: the text as it may appear in a log line. */
function forLog(text: string): string {
  const short = text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text;
  return JSON.stringify(redactSecrets(short));
}

/** The provider's own `error.message` (every provider we speak nests it so), else the start of the body: for the log. */
function providerMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof parsed.error === 'object' ? parsed.error?.message : (parsed.error ?? parsed.message);
    if (typeof message === 'string' && message) return message;
  } catch {
    // not JSON: the body itself
  }
  return body;
}

export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** An upstream HTTP failure as a user may see it: a stable code and its fixed message; the provider's text is logged. */
export function errorFromStatus(status: number, body: string, retryAfter?: string | string[]): UpstreamError {
  const code = statusCode(status);
  logger.warn(`The provider answered HTTP ${status} (${code}): ${forLog(providerMessage(body))}`);
  return new UpstreamError(code, USER_MESSAGES[code], status, status === 429 ? parseRetryAfter(retryAfter) : undefined);
}

/** Anthropic and OpenAI can also report a failure inside a 200 stream, typed like their HTTP errors. */
export function errorFromStreamType(type: string | undefined, message: unknown): UpstreamError {
  const code: ProviderErrorCode =
    type === 'authentication_error' || type === 'permission_error'
      ? 'upstream_auth'
      : type === 'rate_limit_error' || type === 'overloaded_error'
        ? 'upstream_rate_limited'
        : type === 'invalid_request_error'
          ? 'upstream_bad_request'
          : 'upstream_error';
  const text = typeof message === 'string' && message ? message : 'no detail';
  logger.warn(`The provider reported an error mid-stream (${code}, type ${forLog(String(type))}): ${forLog(text)}`);
  return new UpstreamError(code, USER_MESSAGES[code]);
}
