import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser } from './factories/user.factory.js';
import { readStream } from './helpers/sse-client.js';
import { bootTestApp, type TestApp } from './helpers/test-app.js';

type Operation = { operationId: string; security?: unknown[]; requestBody?: any; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };

/** /api/docs-json as a client generator reads it. */
describe('the OpenAPI document a generator can trust (e2e)', () => {
  let api: TestApp;
  let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
  const operations = () => Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));

  beforeAll(async () => {
    api = await bootTestApp();
    document = (await api.http().get('/api/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('names operations readably and uniquely, and documents no message-handler DTOs', () => {
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(ids).toEqual(expect.arrayContaining(['chat_stream', 'chat_follow', 'sessions_list', 'ui_chat_send', 'open_ai_complete', 'anthropic_messages_create']));
    expect(ids.every((id) => /^[a-z][a-z0-9_]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(document.components.schemas).filter((name) => /MessageDto$/.test(name) && /Stream|Session|Rename|List/.test(name))).toEqual([]);
    expect(document.components.schemas).not.toHaveProperty('ChatStreamMessageDto');
  });

  it('gives every error response its protocol error schema, and 401/429 to every authenticated route', () => {
    for (const { path, method, operation } of operations()) {
      const expected = path.startsWith('/v1/messages') ? 'AnthropicErrorDto' : path.startsWith('/v1/') ? 'OpenAiErrorDto' : 'ErrorResponseDto';
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect({ path, method, status, schema: response.content?.['application/json']?.schema?.$ref }).toEqual({ path, method, status, schema: `#/components/schemas/${expected}` });
      }
      if ((operation.security ?? []).length > 0) expect({ path, method, statuses: Object.keys(operation.responses) }).toEqual({ path, method, statuses: expect.arrayContaining(['401', '429']) });
    }
    expect(document.components.schemas).toHaveProperty('ChatDoneEventDto');
  });

  it("executes POST /api/chat/stream's example as it is", async () => {
    const example = document.paths['/api/chat/stream']!.post!.requestBody.content['application/json'].examples.echo.value;
    const user = await registerUser(api);
    const stream = await readStream(`${api.url}/api/chat/stream`, { token: user.token, body: example });
    expect(stream.status).toBe(200);
    expect(stream.events.map((event) => event.event)).toEqual(expect.arrayContaining(['session', 'message', 'done']));
  });
});
