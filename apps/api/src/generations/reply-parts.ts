import { randomUUID } from 'node:crypto';
import type { ChatDelta, ToolCall } from '@app/ai';
import type { MessagePart } from '@app/persistence';

type ReasoningDelta = Extract<ChatDelta, { type: 'reasoning' }>;
export type ToolCallPiece = Omit<Extract<ChatDelta, { type: 'tool_call' }>, 'type'>;

/** Why a piece of a tool call cannot be taken: a new call beyond the limit, or more of a call already closed. */
export type ToolCallRefusal = 'too_many' | 'out_of_order';

/**
 * Where a piece went: its call's position among the reply's calls; the call it closed, if it began another; and
 * the id and name of the call it began (the id ours when the provider gave none).
 */
export interface TakenPiece {
  position: number;
  closed: ToolCall | null;
  opened: { id: string; name: string } | null;
}

/** A tool call being assembled: the provider's index for it, and its position among the reply's calls. */
interface OpenCall {
  index: number;
  position: number;
  id: string;
  name: string;
  arguments: string;
  signature?: string;
}

/**
 * A reply's parts as they stream in: consecutive deltas of one kind grow one part, so a reply is a handful of
 * parts, not one per delta. A thinking block ends with its signature (Anthropic), so reasoning after a signature
 * or a redacted block opens a new part, as the provider wants each block back as it was.
 */
export class ReplyParts {
  private readonly list: MessagePart[] = [];
  private hasReasoning = false;
  private calls = 0;
  private open: OpenCall | null = null;
  /** The provider indexes of calls already closed: more pieces for one of them cannot be relayed in order. */
  private readonly closed = new Set<number>();
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

  /**
   * A piece of a tool call. Providers stream one call after another (Gemini sends each whole), so the first piece
   * of another call closes the open one: that call is returned, complete, to be announced and kept. `position` is
   * the piece's call among the reply's (0, 1, ...), whatever index the provider gave it.
   */
  addToolCallPiece(piece: ToolCallPiece, maxCalls: number): TakenPiece | ToolCallRefusal {
    this.deltas += 1;
    if (this.open?.index === piece.index) {
      this.open.arguments += piece.arguments;
      if (!this.open.name && piece.name) this.open.name = piece.name;
      if (piece.signature) this.open.signature = piece.signature;
      return { position: this.open.position, closed: null, opened: null };
    }
    if (this.closed.has(piece.index)) return 'out_of_order';
    if (this.calls >= maxCalls) return 'too_many';
    const closed = this.closeToolCall();
    // Some OpenAI-compatible servers leave the id out; a result must still be able to name the call.
    this.open = { index: piece.index, position: this.calls++, id: piece.id || `call_${randomUUID().replaceAll('-', '')}`, name: piece.name ?? '', arguments: piece.arguments, ...(piece.signature && { signature: piece.signature }) };
    return { position: this.open.position, closed, opened: { id: this.open.id, name: this.open.name } };
  }

  /** Closes the open tool call, if any (the next call began, or the reply ended): into the parts, and returned. */
  closeToolCall(): ToolCall | null {
    const open = this.open;
    if (!open) return null;
    this.open = null;
    this.closed.add(open.index);
    const call: ToolCall = { id: open.id, name: open.name, arguments: open.arguments, ...(open.signature && { signature: open.signature }) };
    this.list.push({ type: 'tool_call', ...call });
    return call;
  }

  /** Drops the open tool call, cut off by the reply's end (a length limit): its arguments are incomplete. */
  dropOpenToolCall(): void {
    this.open = null;
  }

  /** The reply's complete tool calls, in order. */
  toolCalls(): ToolCall[] {
    return this.list.flatMap(({ type, ...call }) => (type === 'tool_call' ? [call as ToolCall] : []));
  }

  get empty(): boolean {
    return this.deltas === 0;
  }

  /** The answer's text: the message's `content`. */
  text(): string {
    return this.list.map((part) => (part.type === 'text' ? part.text : '')).join('');
  }

  /**
   * What the row keeps as `parts`: null when the reply is its text alone, which the content already holds. A call
   * still open is not among them: a reply cut short keeps only the calls that were complete.
   */
  saved(): MessagePart[] | null {
    return this.hasReasoning || this.closed.size > 0 ? this.list : null;
  }

  all(): readonly MessagePart[] {
    return this.list;
  }
}
