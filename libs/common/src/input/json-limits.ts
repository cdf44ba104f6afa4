const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`, decided in one pass over its UTF-8 bytes
 * before anything parses it. Neither JSON.parse nor body-parser has a depth limit, and the recursive steps after
 * parsing (class-transformer, validation) overflow the stack on a few thousand levels, so the bytes are scanned
 * here: constant work per byte, no allocation. Brackets inside strings (escapes included) do not count. In UTF-8
 * the structural characters never occur inside a multi-byte sequence, so counting bytes is exact. Malformed text
 * is left for the parser to refuse.
 */
export function jsonNestingExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/**
 * A JSON body or message refused while it is read, before it is parsed. `status` and `type` follow body-parser's
 * error convention, so the global filter answers it like body-parser's own refusals, with this message.
 */
export class JsonLimitError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly type: 'entity.too.deep' | 'entity.too.large',
    message: string,
  ) {
    super(message);
    this.name = 'JsonLimitError';
  }
}

export interface JsonLimits {
  maxBytes: number;
  maxDepth: number;
}

/** The one size and depth rule for JSON from outside (HTTP bodies, NATS messages): the refusal, or undefined. */
export function checkJsonLimits(bytes: Uint8Array, { maxBytes, maxDepth }: JsonLimits, what = 'JSON body'): JsonLimitError | undefined {
  if (bytes.length > maxBytes) return new JsonLimitError(413, 'entity.too.large', `${what} is larger than ${maxBytes} bytes`);
  if (jsonNestingExceeds(bytes, maxDepth)) return new JsonLimitError(400, 'entity.too.deep', `${what} is nested deeper than ${maxDepth} levels`);
  return undefined;
}
