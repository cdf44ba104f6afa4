import type { ChatDelta } from '@app/ai';
import type { MessagePart } from '@app/persistence';

type ReasoningDelta = Extract<ChatDelta, { type: 'reasoning' }>;

/**
 * A reply's parts as they stream in: consecutive deltas of one kind grow one part, so a reply is a handful of
 * parts, not one per delta. A thinking block ends with its signature (Anthropic), so reasoning after a signature
 * or a redacted block opens a new part, as the provider wants each block back as it was.
 */
export class ReplyParts {
  private readonly list: MessagePart[] = [];
  private hasReasoning = false;
  /** Deltas taken, of every kind: what the metrics count. */
  deltas = 0;

  addText(text: string): void {
    this.deltas += 1;
    const last = this.list.at(-1);
    if (last?.type === 'text') last.text += text;
    else this.list.push({ type: 'text', text });
  }

  addReasoning({ text, signature, redactedData }: Omit<ReasoningDelta, 'type'>): void {
    this.deltas += 1;
    this.hasReasoning = true;
    const last = this.list.at(-1);
    if (!redactedData && last?.type === 'reasoning' && !last.metadata) {
      last.text += text;
      if (signature) last.metadata = { signature };
      return;
    }
    const metadata = { ...(signature && { signature }), ...(redactedData && { redactedData }) };
    this.list.push({ type: 'reasoning', text, ...(Object.keys(metadata).length > 0 && { metadata }) });
  }

  get empty(): boolean {
    return this.deltas === 0;
  }

  /** The answer's text: the message's `content`. */
  text(): string {
    return this.list.map((part) => (part.type === 'text' ? part.text : '')).join('');
  }

  /** What the row keeps as `parts`: null when the reply is its text alone, which the content already holds. */
  saved(): MessagePart[] | null {
    return this.hasReasoning ? this.list : null;
  }

  all(): readonly MessagePart[] {
    return this.list;
  }
}
