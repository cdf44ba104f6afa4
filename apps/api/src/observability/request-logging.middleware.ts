import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/** A caller's request id is taken (and logged) only when it is this plain. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Query parameters whose value is a credential: stream tokens (`token`), OAuth-style `access_token`, provider-style
 * `key` and `api_key`, any other name that says token, key or secret, and the single sign-on callback's `code` and
 * `state` (an authorization code, and what ties it to the browser's sign-in). Matched on the decoded name without
 * qs's bracket suffixes, since Express reads `ac%63ess_token` and `token[]` as those names too.
 */
const SECRET_PARAMETER = /token|key|secret|password|^(code|state)$/i;

const PLAIN_NAME = /^[\w.-]{1,64}$/;

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).replace(/\[.*$/, '');
  } catch {
    // Not decodable: Express keeps such a name as it is; an unreadable name is treated as a secret one.
    return 'key';
  }
}

/** The URL as logged: every credential-like query parameter's value replaced, however often it is repeated. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const parameters = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      const decoded = decodedName(name);
      if (!SECRET_PARAMETER.test(decoded)) return pair;
      // A name that is not a plain word may carry the value itself (`token%3D<jwt>`): neither is logged then.
      return `${PLAIN_NAME.test(decoded) ? name : '[redacted]'}=[redacted]`;
    });
  return `${url.slice(0, start)}?${parameters.join('&')}`;
}

function withUser(req: IncomingMessage, line: object): object {
  const user = (req as Request).user;
  return user ? { ...line, userId: user.id } : line;
}

/**
 * One JSON line per request with its id (taken from X-Request-Id when it is sane, else generated, and echoed
 * back), status, duration and the user when known; nestjs-pino then puts the id on every line logged while serving it.
 */
export function requestLogging(root: Logger) {
  return pinoHttp({
    logger: root,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // The user on the request's line, known once the guards have run. Not pino-http's `customProps`: that makes a
    // child logger of the request's logger when the request arrives and another at its end, and making an object
    // of each request a prototype costs V8 a new map each time.
    customSuccessObject: (req, _res, line: object) => withUser(req, line),
    customErrorObject: (req, _res, _error, line: object) => withUser(req, line),
    customLogLevel: (_req, res, error) => {
      const level = error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      // pino would drop the line, but pino-http builds it first: 'silent' skips that.
      return root.isLevelEnabled(level) ? level : 'silent';
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}
