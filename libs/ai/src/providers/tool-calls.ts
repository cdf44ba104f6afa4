import { TOOL_CALLS_FINISH } from '../chat-provider.interface.js';
import { UpstreamError } from '../upstream.errors.js';

/**
 * More calls than any model makes in one reply: past it the provider is broken or hostile, and the reply fails
 * rather than growing the numbering without end.
 */
export const MAX_TOOL_CALLS_PER_REPLY = 128;

/**
 * Numbers a reply's tool calls 0, 1, 2… in the order they start, whatever key the provider streams them under
 * (OpenAI's `index`, Anthropic's content block index, nothing at all for Gemini). It keeps one small entry per
 * call, never the arguments.
 */
export class ToolCallNumbering {
  private readonly open = new Map<number, { index: number; id?: string }>();
  private count = 0;

  /** Whether the reply has started any call. */
  get any(): boolean {
    return this.count > 0;
  }

  /** A new call under `key` (which may reuse the key of an earlier one); returns its number. */
  start(key: number, id?: string): number {
    if (this.count >= MAX_TOOL_CALLS_PER_REPLY) throw new UpstreamError('upstream_error', 'The provider sent too many tool calls in one reply');
    const index = this.count++;
    this.open.set(key, { index, id });
    return index;
  }

  /** The number of the call last started under `key`, if any. */
  find(key: number): { index: number; id?: string } | undefined {
    return this.open.get(key);
  }
}

/** The provider's finish reason, or TOOL_CALLS_FINISH when the reply ended normally (`naturalEnds`) after starting calls. */
export function toolAwareFinish(reason: string, numbering: ToolCallNumbering, naturalEnds: readonly string[]): string {
  return numbering.any && naturalEnds.includes(reason) ? TOOL_CALLS_FINISH : reason;
}

/** Parses a call's argument text as the JSON object a provider wants back; text that is no object becomes `{}`. */
export function argumentsObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
