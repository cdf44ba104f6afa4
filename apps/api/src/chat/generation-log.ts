import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';

/**
 * One generation's events in this process, in order, so whoever watches gets every event from where it asks,
 * then the live ones, until the generation ends. The generation writes here whether or not anyone watches.
 */
export class GenerationLog {
  private readonly events: MessageEvent[] = [];
  private readonly watchers = new Set<Subscriber<MessageEvent>>();
  private finished = false;

  constructor(
    readonly generationId: string,
    readonly sessionId: string,
  ) {}

  get ended(): boolean {
    return this.finished;
  }

  get length(): number {
    return this.events.length;
  }

  append(event: MessageEvent): void {
    if (this.finished) return;
    this.events.push(event);
    this.watchers.forEach((watcher) => watcher.next(event));
  }

  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.watchers.forEach((watcher) => watcher.complete());
    this.watchers.clear();
  }

  /** The events after the first `skip`, then the live ones until the end. */
  watch(skip = 0): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      for (let index = skip; index < this.events.length && !subscriber.closed; index++) subscriber.next(this.events[index]!);
      if (this.finished) return subscriber.complete();
      this.watchers.add(subscriber);
      return () => this.watchers.delete(subscriber);
    });
  }
}
