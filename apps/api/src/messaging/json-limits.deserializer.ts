import { type IncomingEvent, type IncomingRequest, NatsRequestJSONDeserializer } from '@nestjs/microservices';
import { checkJsonLimits, type JsonLimitError, type JsonLimits } from '@app/common';

/** What a refused message carries instead of its payload, for RefusedPayloadPipe to answer. */
export class RefusedPayload {
  constructor(readonly error: JsonLimitError) {}
}

/**
 * A Nest client writes the request id last (`{"pattern":…,"data":…,"id":"<uuid>"}`): found in the tail, so a
 * refused message is answered without parsing it.
 */
const TRAILING_ID = /"id"\s*:\s*"([0-9A-Za-z-]{1,64})"\s*\}\s*$/;
const TAIL_BYTES = 128;

/**
 * NATS messages get the HTTP bodies' size and depth rule before they are parsed. A refused message reaches its
 * handler as a RefusedPayload (with the request id from its tail, so the caller gets an answer instead of a
 * time-out), and the handler's pipe answers it in the HTTP error shape.
 */
export class JsonLimitsDeserializer extends NatsRequestJSONDeserializer {
  constructor(private readonly limits: JsonLimits) {
    super();
  }

  override deserialize(message: { data: Uint8Array }, options?: Record<string, unknown>) {
    const refusal = checkJsonLimits(message.data, this.limits, 'Message payload');
    if (!refusal) return super.deserialize(message, options);
    const tail = Buffer.from(message.data.subarray(Math.max(0, message.data.length - TAIL_BYTES))).toString('latin1');
    const id = TRAILING_ID.exec(tail)?.[1];
    const packet: IncomingEvent = { pattern: options?.channel, data: new RefusedPayload(refusal) };
    // Without an id Nest treats it as an event: nobody waits for an answer, and it is dropped.
    return id === undefined ? packet : ({ ...packet, id } satisfies IncomingRequest);
  }
}
