import { describe, expect, it } from '@jest/globals';
import { JsonLimitError } from '@app/common';
import { JsonLimitsDeserializer, RefusedPayload } from './json-limits.deserializer.js';
import { RefusedPayloadPipe } from './refused-payload.pipe.js';

/** What the NATS server hands the deserializer: the message bytes, and `json()` as the NATS client decodes them. */
const natsMessage = (text: string) => {
  const data = Buffer.from(text, 'utf8');
  return { data, json: () => JSON.parse(text) as unknown };
};
const deserializer = new JsonLimitsDeserializer({ maxBytes: 1024, maxDepth: 4 });
const options = { channel: 'chat.stream' };

describe('JsonLimitsDeserializer', () => {
  it('passes messages within the limits on as Nest packets', async () => {
    const packet = await deserializer.deserialize(natsMessage('{"pattern":"chat.stream","data":{"a":[[1]]},"id":"abc-1"}'), options);
    expect(packet).toEqual({ pattern: 'chat.stream', data: { a: [[1]] }, id: 'abc-1' });
  });

  it('refuses too deep or too large messages without parsing them, keeping the request id so the caller gets an answer', async () => {
    const deep = natsMessage(`{"pattern":"chat.stream","data":{"a":${'['.repeat(100)}${']'.repeat(100)}},"id":"7f0c2b7e-0000-4000-8000-000000000001"}`);
    deep.json = () => {
      throw new Error('must not be parsed');
    };
    const refused = await deserializer.deserialize(deep, options);
    expect(refused).toEqual({ pattern: 'chat.stream', id: '7f0c2b7e-0000-4000-8000-000000000001', data: expect.any(RefusedPayload) });
    expect((refused.data as RefusedPayload).error).toEqual(new JsonLimitError(400, 'entity.too.deep', 'Message payload is nested deeper than 4 levels'));

    const large = await deserializer.deserialize(natsMessage(`{"pattern":"chat.stream","data":"${'x'.repeat(2_000)}","id":"id-2"}`), options);
    expect((large.data as RefusedPayload).error).toEqual(new JsonLimitError(413, 'entity.too.large', 'Message payload is larger than 1024 bytes'));
    expect(large).toEqual(expect.objectContaining({ id: 'id-2' }));
  });

  it('hands a refused message to its handler as an error the pipe throws', () => {
    const error = new JsonLimitError(400, 'entity.too.deep', 'too deep');
    expect(() => new RefusedPayloadPipe().transform(new RefusedPayload(error))).toThrow(error);
    expect(new RefusedPayloadPipe().transform({ ok: true })).toEqual({ ok: true });
  });
});
