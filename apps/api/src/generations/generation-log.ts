import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';

/** What one kept event costs besides its text (the event object and its slot), in characters' worth of memory. */
const EVENT_WEIGHT = 64;

/**
 * One generation's events in this process, in order, so whoever watches gets every event from where it asks,
 * then the live ones, until the generation ends. The generation writes here whether or not anyone watches.
 *
 * A log nobody can rejoin (`replayable` false: a /v1 turn) has one reader, the request that started it. It holds
 * events only until that reader comes, and keeps none it has sent: a long reply no longer holds every delta's
 * event until it ends, about 120 bytes a delta (bench/README.md, "Events nobody can replay are not kept").
 */
export class GenerationLog {
  private readonly events: MessageEvent[] = [];
  private readonly watchers = new Set<Subscriber<MessageEvent>>();
  private finished = false;
  private kept = 0;
  private readerCame = false;

  constructor(
    readonly generationId: string,
    readonly sessionId: string,
    private readonly replayable = true,
  ) {}

  get ended(): boolean {
    return this.finished;
  }

  /** The events kept: all of a replayable log's; of another, those no reader was there for. */
  get length(): number {
    return this.events.length;
  }

  /**
   * Roughly the memory its events hold, in characters (one byte each for Latin-1 text, two otherwise): the text the
   * appender declared plus a fixed cost per event. Counted as events arrive, so a store can budget retained logs
   * (only replayable ones are retained: another's count includes events it did not keep).
   */
  get weight(): number {
    return this.kept;
  }

  /** `chars`: the length of the text the event carries (a delta's), when it is large enough to matter. */
  append(event: MessageEvent, chars = 0): void {
    if (this.finished) return;
    this.kept += EVENT_WEIGHT + chars;
    // Kept until the reader is there, and while it is not (it can be replaying what came before, or gone).
    if (this.replayable || this.watchers.size === 0) this.events.push(event);
    // A loop, not forEach: a closure made per delta loses its optimised code at every major GC, and its
    // recompiling was part of the CPU of the slow paced rounds (bench/README.md).
    for (const watcher of this.watchers) watcher.next(event);
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.watchers.forEach((watcher) => watcher.complete());
    this.watchers.clear();
  }

  /**
   * The events after the first `skip`, then the live ones until the end. A log that is not replayable has one
   * reader: a second one is an error, not a reply with its beginning missing.
   */
  watch(skip = 0): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      if (!this.replayable) {
        if (this.readerCame) return subscriber.error(new Error(`Generation ${this.generationId} cannot be replayed: its one reader has come`));
        this.readerCame = true;
      }
      // An event appended while these are sent is kept (no watcher yet) and sent in its turn.
      for (let index = skip; index < this.events.length && !subscriber.closed; index++) subscriber.next(this.events[index]!);
      // Handed to the one reader there is: nobody else will ask for them.
      if (!this.replayable) this.events.length = 0;
      if (this.finished) return subscriber.complete();
      this.watchers.add(subscriber);
      return () => this.watchers.delete(subscriber);
    });
  }
}
