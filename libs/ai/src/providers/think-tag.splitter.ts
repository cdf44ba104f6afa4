export interface ContentSegment {
  type: 'text' | 'reasoning';
  text: string;
}

const OPEN = '<think>';
const CLOSE = '</think>';

/** The length of the longest end of `text` that is a beginning of `tag` (shorter than the tag itself). */
function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length;
  }
  return 0;
}

/**
 * Splits streamed content into answer and reasoning where a model writes its reasoning as `<think>…</think>`
 * inside the content (DeepSeek-R1, QwQ and Qwen3 served without a reasoning parser). Tags may be cut anywhere
 * across chunks: the end of a chunk that could begin a tag is held back until the next chunk tells. The blank
 * lines such models put after `</think>` are dropped, so the answer does not open with them.
 */
export class ThinkTagSplitter {
  private inside = false;
  private held = '';
  private afterClose = false;

  push(chunk: string): ContentSegment[] {
    // Nearly every chunk: answer text, no tag begun before it and none in it (a tag, whole or begun, has a `<`).
    if (!chunk.includes('<') && !this.inside && !this.afterClose && this.held === '') return chunk ? [{ type: 'text', text: chunk }] : [];
    const segments: ContentSegment[] = [];
    let rest = this.held + chunk;
    this.held = '';
    for (;;) {
      const tag = this.inside ? CLOSE : OPEN;
      const at = rest.indexOf(tag);
      if (at < 0) {
        const held = partialTagLength(rest, tag);
        this.held = rest.slice(rest.length - held);
        this.emit(segments, rest.slice(0, rest.length - held));
        return segments;
      }
      this.emit(segments, rest.slice(0, at));
      this.afterClose = this.inside;
      this.inside = !this.inside;
      rest = rest.slice(at + tag.length);
    }
  }

  /** What was held back, once the content has ended: it was not a tag after all. */
  flush(): ContentSegment[] {
    const segments: ContentSegment[] = [];
    this.emit(segments, this.held);
    this.held = '';
    return segments;
  }

  private emit(segments: ContentSegment[], raw: string): void {
    let text = raw;
    if (!this.inside && this.afterClose) {
      text = text.replace(/^\s+/, '');
      if (text) this.afterClose = false;
    }
    if (!text) return;
    const type = this.inside ? 'reasoning' : 'text';
    const last = segments.at(-1);
    if (last?.type === type) last.text += text;
    else segments.push({ type, text });
  }
}
