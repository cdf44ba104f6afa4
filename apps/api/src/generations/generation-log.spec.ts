import { describe, expect, it } from '@jest/globals';
import type { MessageEvent } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { GenerationLog } from './generation-log.js';

const delta = (content: string): MessageEvent => ({ type: 'message', data: { content } });

/** Everything `log` sends a new watcher, until it ends. */
function read(log: GenerationLog, skip?: number): MessageEvent[] {
  const seen: MessageEvent[] = [];
  log.watch(skip).subscribe((event) => seen.push(event));
  return seen;
}

describe('GenerationLog', () => {
  it('replays every event of a replayable log to each watcher, from where it asks', () => {
    const log = new GenerationLog(randomUUID(), randomUUID());
    log.append(delta('a'));
    const first = read(log);
    log.append(delta('b'));
    log.end();
    expect(first).toEqual([delta('a'), delta('b')]);
    expect(read(log)).toEqual([delta('a'), delta('b')]);
    expect(read(log, 1)).toEqual([delta('b')]);
    expect(log.length).toBe(2);
  });

  it('gives the one reader of a log nobody can rejoin what came before it, then keeps nothing it has sent', () => {
    const log = new GenerationLog(randomUUID(), randomUUID(), false);
    log.append(delta('a'));
    log.append(delta('b'));
    expect(log.length).toBe(2);
    const seen = read(log);
    expect(log.length).toBe(0);
    log.append(delta('c'));
    expect(log.length).toBe(0);
    log.end();
    expect(seen).toEqual([delta('a'), delta('b'), delta('c')]);
  });

  it('keeps the events of a log nobody can rejoin while its reader has not come, to the end', () => {
    const log = new GenerationLog(randomUUID(), randomUUID(), false);
    log.append(delta('a'));
    log.end();
    log.append(delta('late'));
    expect(read(log)).toEqual([delta('a')]);
  });

  it('refuses a second reader of a log nobody can rejoin, rather than give it a reply without its beginning', () => {
    const log = new GenerationLog(randomUUID(), randomUUID(), false);
    log.append(delta('a'));
    read(log);
    let failure: unknown;
    log.watch().subscribe({ error: (error: unknown) => (failure = error) });
    expect(String(failure)).toContain('its one reader has come');
  });

  it('sends its one reader, in order, an event appended while what came before is being sent', () => {
    const log = new GenerationLog(randomUUID(), randomUUID(), false);
    log.append(delta('a'));
    const seen: MessageEvent[] = [];
    log.watch().subscribe((event) => {
      seen.push(event);
      if (event === seen[0]) log.append(delta('b'));
    });
    log.append(delta('c'));
    expect(seen.map((event) => (event.data as { content: string }).content)).toEqual(['a', 'b', 'c']);
    expect(log.length).toBe(0);
  });
});
