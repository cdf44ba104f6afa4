import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { bootWithAdmin } from './factories/admin.factory.js';
import type { TestUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import type { TestApp } from './helpers/test-app.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Attempt {
  method: Method;
  path: string;
  /** A JS value sent as JSON, or a raw string sent as-is with a JSON content type. */
  body?: unknown;
  raw?: string;
  authorization?: string;
}

/** Every route of the API (all controllers' @Get/@Post/@Put/@Patch/@Delete/@Sse), with path parameters left to fill. */
const ROUTES: { method: Method; path: string }[] = [
  { method: 'get', path: '/api/health' },
  { method: 'get', path: '/api/health/ready' },
  { method: 'get', path: '/metrics' },
  { method: 'post', path: '/api/auth/register' },
  { method: 'post', path: '/api/auth/login' },
  { method: 'get', path: '/api/auth/me' },
  { method: 'get', path: '/api/auth/oidc/login' },
  { method: 'get', path: '/api/auth/oidc/callback' },
  { method: 'post', path: '/api/auth/oidc/exchange' },
  { method: 'post', path: '/api/auth/refresh' },
  { method: 'post', path: '/api/auth/logout' },
  { method: 'post', path: '/api/auth/logout-all' },
  { method: 'put', path: '/api/auth/password' },
  { method: 'patch', path: '/api/auth/me' },
  { method: 'delete', path: '/api/auth/me' },
  { method: 'get', path: '/api/auth/me/export' },
  { method: 'get', path: '/api/providers' },
  { method: 'get', path: '/api/providers/:provider' },
  { method: 'put', path: '/api/providers/:provider' },
  { method: 'delete', path: '/api/providers/:provider' },
  { method: 'post', path: '/api/chat/stream' },
  { method: 'post', path: '/api/chat/sessions/:id/regenerate' },
  { method: 'post', path: '/api/chat/sessions/:id/messages/:messageId/edit' },
  { method: 'get', path: '/api/chat/sessions/:id/stream' },
  { method: 'post', path: '/api/chat/sessions/:id/stream-token' },
  { method: 'post', path: '/api/chat/sessions/:id/stop' },
  { method: 'post', path: '/api/chat/sessions/:id/tool-results' },
  { method: 'get', path: '/api/chat/sessions' },
  { method: 'get', path: '/api/chat/sessions/:id' },
  { method: 'get', path: '/api/chat/sessions/:id/messages' },
  { method: 'put', path: '/api/chat/sessions/:id/branch' },
  { method: 'put', path: '/api/chat/sessions/:id/title' },
  { method: 'patch', path: '/api/chat/sessions/:id' },
  { method: 'delete', path: '/api/chat/sessions/:id' },
  { method: 'put', path: '/api/chat/sessions/:id/messages/:messageId/feedback' },
  { method: 'post', path: '/api/chat/sessions/:id/share' },
  { method: 'get', path: '/api/chat/sessions/:id/shares' },
  { method: 'delete', path: '/api/chat/sessions/:id/shares/:shareId' },
  { method: 'get', path: '/api/shared/:token' },
  { method: 'get', path: '/api/chat/sessions/:id/export' },
  { method: 'get', path: '/api/chat/export' },
  { method: 'post', path: '/api/chat/import' },
  { method: 'get', path: '/api/folders' },
  { method: 'post', path: '/api/folders' },
  { method: 'patch', path: '/api/folders/:id' },
  { method: 'delete', path: '/api/folders/:id' },
  { method: 'get', path: '/api/presets' },
  { method: 'post', path: '/api/presets' },
  { method: 'get', path: '/api/presets/:id' },
  { method: 'patch', path: '/api/presets/:id' },
  { method: 'delete', path: '/api/presets/:id' },
  { method: 'get', path: '/api/files' },
  { method: 'post', path: '/api/files' },
  { method: 'get', path: '/api/files/:id' },
  { method: 'get', path: '/api/files/:id/meta' },
  { method: 'delete', path: '/api/files/:id' },
  { method: 'post', path: '/api/keys' },
  { method: 'get', path: '/api/keys' },
  { method: 'delete', path: '/api/keys/:id' },
  { method: 'get', path: '/api/admin/users' },
  { method: 'get', path: '/api/admin/users/:id' },
  { method: 'patch', path: '/api/admin/users/:id/role' },
  { method: 'post', path: '/api/admin/users/:id/disable' },
  { method: 'post', path: '/api/admin/users/:id/enable' },
  { method: 'delete', path: '/api/admin/users/:id' },
  { method: 'get', path: '/api/admin/audit' },
  { method: 'get', path: '/api/admin/feedback' },
  { method: 'get', path: '/api/admin/connections' },
  { method: 'post', path: '/api/admin/connections' },
  { method: 'get', path: '/api/admin/connections/:id' },
  { method: 'patch', path: '/api/admin/connections/:id' },
  { method: 'delete', path: '/api/admin/connections/:id' },
  { method: 'get', path: '/api/admin/policies' },
  { method: 'put', path: '/api/admin/policies/:role' },
  { method: 'delete', path: '/api/admin/policies/:role' },
  { method: 'get', path: '/api/admin/users/:id/policy' },
  { method: 'put', path: '/api/admin/users/:id/policy' },
  { method: 'delete', path: '/api/admin/users/:id/policy' },
  { method: 'get', path: '/api/admin/aliases' },
  { method: 'get', path: '/api/admin/aliases/:name' },
  { method: 'put', path: '/api/admin/aliases/:name' },
  { method: 'delete', path: '/api/admin/aliases/:name' },
  { method: 'get', path: '/api/usage' },
  { method: 'get', path: '/api/admin/usage' },
  { method: 'get', path: '/api/admin/prices' },
  { method: 'post', path: '/api/admin/prices' },
  { method: 'put', path: '/api/admin/prices/:id' },
  { method: 'delete', path: '/api/admin/prices/:id' },
  { method: 'get', path: '/api/admin/budgets' },
  { method: 'put', path: '/api/admin/budgets/:role' },
  { method: 'delete', path: '/api/admin/budgets/:role' },
  { method: 'get', path: '/api/admin/users/:id/budget' },
  { method: 'put', path: '/api/admin/users/:id/budget' },
  { method: 'delete', path: '/api/admin/users/:id/budget' },
  { method: 'get', path: '/api/usage/budget' },
  { method: 'get', path: '/v1/models' },
  { method: 'post', path: '/v1/chat/completions' },
  { method: 'post', path: '/v1/responses' },
  { method: 'post', path: '/v1/messages' },
  { method: 'post', path: '/api/ui/chat' },
  { method: 'get', path: '/api/ui/chat/:id/stream' },
];

const RUNS = 3000;
const HOSTILE_RUNS = 2500;
const MAX_DEPTH = 32;

/** Text no field may carry: a NUL or an unpaired surrogate, alone or inside ordinary text. */
const illFormedText = fc
  .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d', '\u0000\u0000'), fc.string({ maxLength: 8 }))
  .map(([before, bad, after]) => before + bad + after);

/** Values that are wrong in type, size or shape for any of our fields. */
const junk = fc.oneof(
  illFormedText,
  fc.anything({ maxDepth: 2, maxKeys: 4 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', 'null', '__proto__', 'constructor', '../../etc/passwd', "' OR 1=1 --", '\u0000', 'x'.repeat(40_000)),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

const bodyArbitrary = fc.oneof(
  fc.dictionary(
    fc.constantFrom(
      'email', 'password', 'code', 'displayName', 'refreshToken', 'currentPassword', 'newPassword', 'message', 'messages', 'stream', 'name', 'sessionId', 'provider', 'model', 'mode', 'temperature', 'title', 'apiKey', 'baseUrl',
      'defaultModel', 'isAdmin', 'role', '__proto__', 'archived', 'pinned', 'folderId', 'tags', 'rating', 'comment', 'expiresInSeconds',
      'models', 'enabled', 'maxOutputTokens', 'minTemperature', 'maxTemperature', 'targets', 'fallbacks',
      'monthlyLimit',
      'systemPrompt', 'maxOutputTokens', 'reasoning', 'presetId',
      'tools', 'toolChoice', 'results', 'tool_choice', 'parallel_tool_calls',
    ),
    junk,
    { maxKeys: 5 },
  ),
  junk,
);

/** Ids are percent-encoded, except raw escapes (starting with %), sent as they are: NUL, an encoded lone surrogate. */
const idArbitrary = fc.oneof(
  fc.uuid(),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('..', '%00', 'a%00b', '%ED%A0%80', '%C0%80', 'null', '-1', '0'.repeat(300), '\u0000'),
);
const encodeId = (id: string) => (id.startsWith('%') ? id : encodeText(id));

const LONE_SURROGATE = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;
const hex = (byte: number) => `%${byte.toString(16).toUpperCase()}`;
/** encodeURIComponent, but a lone surrogate (which it refuses) is written as its 3 bytes, which are not UTF-8. */
function encodeText(text: string): string {
  return text
    .split(LONE_SURROGATE)
    .map((part, index) => {
      if (index % 2 === 0) return encodeURIComponent(part);
      const unit = part.charCodeAt(0);
      return hex(0xe0 | (unit >> 12)) + hex(0x80 | ((unit >> 6) & 0x3f)) + hex(0x80 | (unit & 0x3f));
    })
    .join('');
}
const providerArbitrary = fc.oneof(fc.constantFrom('openai', 'echo', 'custom', 'OPENAI', 'nope'), fc.string({ minLength: 1, maxLength: 20 }));
const queryArbitrary = fc.oneof(
  fc.constant(''),
  fc.record({ limit: junk, cursor: junk }).map(({ limit, cursor }) => `?limit=${encodeText(String(limit))}&cursor=${encodeText(String(cursor))}`),
  fc.string({ maxLength: 30 }).map((text) => `?${encodeText(text)}=${encodeText(text)}`),
  fc.constantFrom('?cursor=%00', '?limit=1%00', '?token=%ED%A0%80', '?lastEventId=a%00b', '?view=all%00', '?%00=1', '?code=%00&state=x', '?q=%00', '?q=a%ED%A0%80', '?q=a&q=b', '?archived[]=true', '?format=pdf', '?format=json%00'),
  // The list's search and filters, each given junk.
  fc
    .record({ name: fc.constantFrom('q', 'archived', 'pinned', 'folderId'), value: junk, cursor: fc.option(junk, { nil: undefined }) })
    .map(({ name, value, cursor }) => `?${name}=${encodeText(String(value))}${cursor === undefined ? '' : `&cursor=${encodeText(String(cursor))}`}`),
  // The admin listings' filters: LIKE wildcards, dates JavaScript cannot read, a cursor beyond bigint, repeated parameters.
  fc.constantFrom('?search=%25%5F%5C', '?search=%00', '?role=admin&role=member', '?from=2026-W01', '?to=%2B275760-09-13', '?cursor=99999999999999999999'),
  fc.record({ name: fc.constantFrom('search', 'role', 'actor', 'action', 'from', 'to', 'groupBy', 'userId', 'provider', 'model'), value: junk }).map(({ name, value }) => `?${name}=${encodeText(String(value))}`),
  // The usage reports' ranges: days that do not exist, no zone, reversed, too long, far out.
  fc.constantFrom('?from=2026-02-30', '?from=2026-01-01T00:00:00', '?from=2026-03-01&to=2026-02-01', '?from=2020-01-01&to=2026-01-01', '?from=9999-12-31', '?groupBy=user&groupBy=day'),
);

type Nesting = 'array' | 'object' | 'mixed';

/** JSON text nested `levels` deep, written as text: JSON.stringify itself overflows the stack on such values. */
function nestedJson(levels: number, kind: Nesting): string {
  let open = '';
  let close = '';
  for (let level = 0; level < levels; level++) {
    const array = kind === 'array' || (kind === 'mixed' && level % 2 === 0);
    open += array ? '[' : '{"a":';
    close = (array ? ']' : '}') + close;
  }
  return `${open}1${close}`;
}

/** A well-formed body of each JSON route: hostile parts go into these, so they pass everything but the rule tested. */
function validBodies(email: string): Record<string, Record<string, unknown>> {
  return {
    '/api/auth/register': { email: `fuzz-${email}`, password: 'correct horse battery', displayName: 'Fuzz' },
    '/api/auth/login': { email, password: 'not the password' },
    '/api/auth/oidc/exchange': { code: 'not-a-code' },
    '/api/auth/refresh': { refreshToken: 'rt-chat-not-a-token-of-ours' },
    '/api/auth/logout': { refreshToken: 'rt-chat-not-a-token-of-ours' },
    '/api/auth/password': { currentPassword: 'not the password', newPassword: 'a new long password' },
    '/api/auth/me': { displayName: 'Fuzzed' },
    '/api/providers/:provider': { defaultModel: 'gpt-4o-mini', baseUrl: 'https://127.0.0.1/v1' },
    '/api/chat/stream': { message: 'hi', provider: 'echo', model: 'echo-1' },
    '/api/chat/sessions/:id/regenerate': { provider: 'echo', model: 'echo-1' },
    '/api/chat/sessions/:id/tool-results': { results: [{ toolCallId: 'call_1', content: 'sunny' }], tools: [{ name: 'weather', parameters: { type: 'object' } }], toolChoice: 'auto' },
    '/api/chat/sessions/:id/messages/:messageId/edit': { content: 'again', provider: 'echo' },
    '/api/chat/sessions/:id/branch': { messageId: '00000000-0000-4000-8000-000000000000' },
    '/api/chat/sessions/:id/title': { title: 'a title' },
    '/api/chat/sessions/:id': { pinned: true, tags: ['a tag'] },
    '/api/chat/sessions/:id/messages/:messageId/feedback': { rating: 'up', comment: 'fine' },
    '/api/chat/sessions/:id/share': { expiresInSeconds: 60 },
    '/api/folders': { name: 'a folder' },
    '/api/chat/import': {
      format: 'llm-chat-export',
      version: 1,
      session: { title: 'imported', provider: 'echo', model: 'echo-1' },
      messages: [{ id: 'q', parentId: null, role: 'user', content: 'hello' }],
    },
    '/api/folders/:id': { name: 'a folder' },
    '/api/presets': { name: 'a preset', systemPrompt: 'Be brief', reasoning: { effort: 'low' } },
    '/api/presets/:id': { name: 'a preset', maxOutputTokens: 100 },
    '/api/keys': { name: 'a key' },
    '/api/admin/users/:id/role': { role: 'member' },
    // A base URL nothing listens on: refused after validation, so the fuzz never fills the table.
    '/api/admin/connections': { provider: 'custom', name: 'fuzz', apiKey: 'sk-fuzz', baseUrl: 'https://127.0.0.1/v1', models: ['a-model'], enabled: true },
    '/api/admin/connections/:id': { name: 'fuzzed', models: ['a-model'], enabled: false },
    '/api/admin/policies/:role': { models: ['openai/gpt-4o*'], maxOutputTokens: 100 },
    '/api/admin/users/:id/policy': { models: ['anthropic/*'] },
    '/api/admin/aliases/:name': { targets: [{ provider: 'openai', model: 'gpt-4o-mini', weight: 2 }], fallbacks: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }] },
    '/api/admin/prices': { provider: 'openai', model: 'fuzz', currency: 'USD', inputPerMillion: '1', outputPerMillion: '2', cachedInputPerMillion: '0.5', reasoningPerMillion: '2' },
    '/api/admin/prices/:id': { currency: 'EUR', inputPerMillion: '1', outputPerMillion: '2', cachedInputPerMillion: '0.5', reasoningPerMillion: '2' },
    '/api/admin/budgets/:role': { monthlyLimit: '25.50' },
    '/api/admin/users/:id/budget': { monthlyLimit: '10' },
    '/v1/chat/completions': {
      model: 'echo/echo-1',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    },
  };
}
/** Logging out everywhere reads no body, so an otherwise valid request to it would end the suite's own sign-in. */
const BODY_ROUTES = ROUTES.filter((route) => ['post', 'put', 'patch'].includes(route.method) && route.path !== '/api/auth/logout-all');

interface HostileAttempt extends Attempt {
  /** What the server must answer: a 400 for this reason, or anything but a 5xx. */
  expect: 'too deep' | 'ill-formed text' | 'no 5xx';
}

/**
 * Otherwise valid requests with one hostile part: nesting at, just beyond and far beyond the depth limit (arrays,
 * objects, both), in a new field or in place of a valid one; or a NUL or lone surrogate in a field's value or name.
 */
function hostileAttempts(token: string, sessionId: string, email: string) {
  const bodies = validBodies(email);
  const depth = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: MAX_DEPTH - 3, max: MAX_DEPTH + 3 }) },
    { weight: 2, arbitrary: fc.integer({ min: MAX_DEPTH + 4, max: 5_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 100_000 }) },
  );
  const deep = fc.record({ kind: fc.constant('deep' as const), levels: depth, nesting: fc.constantFrom<Nesting>('array', 'object', 'mixed'), inPlace: fc.boolean() });
  const text = fc.record({ kind: fc.constant('text' as const), bad: illFormedText, asKey: fc.boolean() });
  return fc
    .record({
      route: fc.constantFrom(...BODY_ROUTES),
      id: fc.oneof(fc.constant(sessionId), fc.uuid({ version: 4 })),
      messageId: fc.uuid({ version: 4 }),
      provider: fc.constantFrom('openai', 'anthropic', 'custom'),
      hostile: fc.oneof(deep, text),
      field: fc.nat(),
    })
    .map(({ route, id, messageId, provider, hostile, field }): HostileAttempt => {
      // Valid names, so the body's rules are what refuses (a hostile body is never saved: no policy binds the suite).
      const path = route.path
        .replace(':id', id)
        .replace(':messageId', messageId)
        .replace(':shareId', messageId)
        .replace(':provider', provider)
        .replace(':role', 'admin')
        .replace(':name', 'fuzz-alias');
      const body = { ...(bodies[route.path] ?? {}) };
      const keys = Object.keys(body);
      const key = keys.length > 0 && (hostile.kind === 'deep' ? hostile.inPlace : !hostile.asKey) ? keys[field % keys.length]! : 'extra';
      const authorization = `Bearer ${token}`;
      if (hostile.kind === 'deep') {
        // The body object is itself one level: `levels` more inside it.
        const raw = JSON.stringify({ ...body, [key]: '\u0001' }).replace('"\\u0001"', nestedJson(hostile.levels, hostile.nesting));
        return { method: route.method, path, raw, authorization, expect: hostile.levels + 1 > MAX_DEPTH ? 'too deep' : 'no 5xx' };
      }
      if (hostile.asKey) body[hostile.bad] = 'x';
      else body[key] = hostile.bad;
      // Routes without a body parameter never look at the body: only the ones that read it must refuse it.
      return { method: route.method, path, body, authorization, expect: route.path in bodies ? 'ill-formed text' : 'no 5xx' };
    });
}

function attempts(token: string) {
  return fc
    .record({
      route: fc.constantFrom(...ROUTES),
      id: idArbitrary,
      provider: providerArbitrary,
      query: queryArbitrary,
      body: bodyArbitrary,
      raw: fc.option(fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"a":', '[1,2', '{"message": "x",}', 'null', '"just a string"')), { nil: undefined }),
      auth: fc.oneof(
        { weight: 6, arbitrary: fc.constant(`Bearer ${token}`) },
        { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', `Bearer ${token}x`, 'Basic YTpi', `bearer ${token.split('.').reverse().join('.')}`) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => `Bearer ${text}`) },
      ),
    })
    .map(({ route, id, provider, query, body, raw, auth }): Attempt => {
      const path =
        route.path
          .replace(':id', encodeId(id))
          .replace(':messageId', encodeId(id))
          .replace(':shareId', encodeId(id))
          .replace(':token', encodeId(id))
          .replace(':role', encodeId(id))
          .replace(':name', encodeId(id))
          .replace(':provider', encodeURIComponent(provider)) + (route.method === 'get' ? query : '');
      return { method: route.method, path, ...(raw === undefined ? { body } : { raw }), authorization: auth };
    })
    // A well-formed echo stream is a legitimate request, not bad input: those are exercised elsewhere. Logging out
    // everywhere with the suite's own token would leave every later attempt a mere 401: it gets the bad headers only.
    .filter((attempt) => !(attempt.path === '/api/chat/stream' && typeof attempt.body === 'object' && attempt.body !== null && (attempt.body as { provider?: unknown }).provider === 'echo'))
    .filter((attempt) => !(attempt.path === '/api/auth/logout-all' && attempt.authorization === `Bearer ${token}`));
}

describe('fuzzing every route with bad input (e2e)', () => {
  let api: TestApp;
  let user: TestUser;
  let sessionId: string;

  beforeAll(async () => {
    // An admin, so the admin routes' input rules are reached too (a member is refused before them).
    ({ api, admin: user } = await bootWithAdmin({ THROTTLE_DEFAULT_LIMIT: '1000000', LOGIN_LIMIT_PER_ACCOUNT: '10000', LOGIN_LIMIT_PER_IP: '100000' }));
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: { message: 'before the storm', provider: 'echo' } });
    sessionId = stream.events[0]!.data.sessionId;
  });
  afterAll(() => api?.close());

  /** Sends one attempt and checks what every answer must be: never a 5xx, errors in the one error shape. */
  async function send(attempt: Attempt) {
    let request = api.http()[attempt.method](attempt.path).timeout(10_000);
    if (attempt.authorization) request = request.set('Authorization', attempt.authorization);
    // Bodies go out as JSON text we serialise ourselves: superagent cannot send a bare number or string.
    const text = attempt.raw ?? (attempt.body === undefined || attempt.method === 'get' || attempt.method === 'delete' ? undefined : JSON.stringify(attempt.body));
    if (text !== undefined) request = request.set('Content-Type', 'application/json').send(text);
    const response = await request;
    // Never a server error; a request the generator happened to make valid (a listing with a stray query
    // parameter, a regenerated reply) may succeed, every other answer is a 4xx in the one error shape.
    expect([attempt, response.status < 500]).toEqual([attempt, true]);
    // A reply that started is never cut by a server fault either.
    if (response.headers['content-type']?.includes('text/event-stream')) expect([attempt, response.text]).toEqual([attempt, expect.not.stringMatching(/internal_error|persistence_error/)]);
    if (response.status < 400) return response;
    // A 431 comes from the HTTP parser, before any route is known: it always has the standard shape.
    const detail = { error: expect.objectContaining({ message: expect.any(String), type: expect.any(String) }) };
    if (attempt.path.startsWith('/v1/messages') && response.status !== 431) expect(response.body).toEqual({ type: 'error', ...detail });
    else if (attempt.path.startsWith('/v1/') && response.status !== 431) expect(response.body).toEqual(detail);
    else expect(response.body).toEqual(expect.objectContaining({ statusCode: response.status, error: expect.any(String), message: expect.any(String) }));
    return response;
  }

  it(`answers ${RUNS} generated bad requests with JSON 4xx errors, never a 5xx or a hang`, async () => {
    let sent = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(attempts(user.token), async (attempt) => {
        const response = await send(attempt);
        sent += 1;
        if (response.status >= 400) refused += 1;
      }),
      { numRuns: RUNS, seed: 20261125, endOnFailure: true },
    );
    expect(sent).toBe(RUNS);
    expect(refused / sent).toBeGreaterThan(0.8);
  });

  it(`refuses ${HOSTILE_RUNS} otherwise valid requests with deep nesting, NUL or lone surrogates as 400, never a 5xx`, async () => {
    const seen = { 'too deep': 0, 'ill-formed text': 0, 'no 5xx': 0 };
    await fc.assert(
      fc.asyncProperty(hostileAttempts(user.token, sessionId, user.email), async (attempt) => {
        const response = await send(attempt);
        seen[attempt.expect] += 1;
        if (attempt.expect === 'no 5xx') return;
        const message = attempt.expect === 'too deep' ? `JSON body is nested deeper than ${MAX_DEPTH} levels` : expect.stringMatching(/must not contain NUL characters or unpaired surrogates$/);
        const body = attempt.path.startsWith('/v1/') ? response.body.error : response.body;
        expect([attempt, response.status, body.message]).toEqual([attempt, 400, message]);
      }),
      { numRuns: HOSTILE_RUNS, seed: 20261201, endOnFailure: true },
    );
    // Each kind was exercised in earnest, not filtered away.
    expect(Math.min(seen['too deep'], seen['ill-formed text'], seen['no 5xx'])).toBeGreaterThan(HOSTILE_RUNS / 10);
  });

  it('answers malformed and hostile multipart uploads with JSON 4xx errors, and stores none of them', async () => {
    const boundary = 'fuzzboundary';
    const part = (headers: string, body: string) => `--${boundary}\r\n${headers}\r\n\r\n${body}\r\n`;
    const file = (name: string, body = '\x89PNG\r\n\x1a\n') => part(`Content-Disposition: form-data; name="${name}"; filename="a.png"\r\nContent-Type: image/png`, body);
    const multipart = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constant(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nunterminated`),
      fc.constant(`${file('other')}--${boundary}--\r\n`),
      fc.constant(`${file('file')}${file('file')}--${boundary}--\r\n`),
      fc.constant(`${Array.from({ length: 20 }, (_, i) => part(`Content-Disposition: form-data; name="f${i}"`, 'x')).join('')}--${boundary}--\r\n`),
      fc.constant(`${part('Content-Disposition: form-data; name="note"', 'x'.repeat(5000))}--${boundary}--\r\n`),
      fc.constant(`${part(`Content-Disposition: form-data; name="file"; filename="${'../'.repeat(3000)}x.png"`, 'not an image')}--${boundary}--\r\n`),
      fc.string({ maxLength: 200 }).map((noise) => `${file('file', noise)}--${boundary}--\r\n`),
    );
    const contentType = fc.constantFrom(`multipart/form-data; boundary=${boundary}`, 'multipart/form-data', 'multipart/mixed; boundary=x', `multipart/form-data; boundary=${'b'.repeat(80)}`);
    await fc.assert(
      fc.asyncProperty(multipart, contentType, async (body, type) => {
        const response = await api.http().post('/api/files').set(user.auth).set('Content-Type', type).timeout(10_000).send(Buffer.from(body, 'latin1'));
        expect([body, type, response.status]).toEqual([body, type, expect.any(Number)]);
        expect([body, type, response.status >= 400 && response.status < 500]).toEqual([body, type, true]);
        expect(response.body).toEqual(expect.objectContaining({ statusCode: response.status, error: expect.any(String), message: expect.any(String) }));
      }),
      { numRuns: 200, seed: 20261201, endOnFailure: true },
    );
    expect((await api.http().get('/api/files').set(user.auth).expect(200)).body.files).toEqual([]);
  });

  it('kept the data intact through all of it', async () => {
    const messages = await api.http().get(`/api/chat/sessions/${sessionId}/messages`).set(user.auth).expect(200);
    expect(messages.body.messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'complete'],
    ]);
    const sessions = await api.http().get('/api/chat/sessions?limit=100').set(user.auth).expect(200);
    expect(sessions.body.sessions.map((s: { id: string }) => s.id)).toContain(sessionId);
    const streaming = [];
    for (const session of sessions.body.sessions as { id: string }[]) {
      const { body } = await api.http().get(`/api/chat/sessions/${session.id}/messages`).set(user.auth).expect(200);
      streaming.push(...(body.messages as { status: string }[]).filter((m) => m.status === 'streaming'));
    }
    expect(streaming).toEqual([]);
    // Nothing hostile was stored: no session title, message or key carries a NUL or a lone surrogate.
    const stored = JSON.stringify([sessions.body, (await api.http().get('/api/keys').set(user.auth).expect(200)).body]);
    // JSON.stringify writes NUL and only unpaired surrogates as escapes.
    expect(stored).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });
});
