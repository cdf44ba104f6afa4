import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ChatTurnsRepository, MessagesRepository } from '@app/persistence';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { FeedbackModule } from './feedback.module.js';
import { FeedbackService } from './feedback.service.js';

describe('FeedbackService (PGlite)', () => {
  let bed: ServiceTestbed;
  let feedback: FeedbackService;

  /** A finished turn of `model`: its question's and reply's ids. */
  const turn = async (userId: string, provider: string, model: string, finished = true) => {
    const sessionId = randomUUID();
    const questionId = randomUUID();
    const replyId = randomUUID();
    await bed.module.get(ChatTurnsRepository).beginTurn({
      userId,
      sessionId,
      newSession: { title: 'rated' },
      provider,
      model,
      parentId: null,
      question: { id: questionId, content: 'question' },
      replyId,
    });
    if (finished) await bed.module.get(MessagesRepository).finishReply(replyId, { content: 'answer', status: 'complete', responseTimeMs: 5 });
    return { sessionId, questionId, replyId };
  };

  beforeAll(async () => {
    bed = await bootServices([FeedbackModule]);
    feedback = bed.module.get(FeedbackService);
  });
  afterAll(() => bed?.close());

  it("rates only the owner's finished replies, and a second rating replaces the first", async () => {
    const { sessionId, questionId, replyId } = await turn(bed.userId, 'openai', 'gpt-a');
    const first = await feedback.rate(bed.userId, sessionId, replyId, 'down', 'too long');
    expect(first).toEqual(expect.objectContaining({ messageId: replyId, rating: 'down', comment: 'too long', updatedAt: expect.any(Date) }));
    const second = await feedback.rate(bed.userId, sessionId, replyId, 'up', null);
    expect(second).toEqual(expect.objectContaining({ messageId: replyId, rating: 'up', comment: null }));

    await expect(feedback.rate(bed.otherUserId, sessionId, replyId, 'down', null)).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    await expect(feedback.rate(bed.userId, randomUUID(), replyId, 'down', null)).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    await expect(feedback.rate(bed.userId, sessionId, questionId, 'up', null)).rejects.toMatchObject({ code: 'FEEDBACK_NOT_ALLOWED' });
    const streaming = await turn(bed.userId, 'openai', 'gpt-a', false);
    await expect(feedback.rate(bed.userId, streaming.sessionId, streaming.replyId, 'up', null)).rejects.toMatchObject({ code: 'FEEDBACK_NOT_ALLOWED' });
  });

  it("counts every user's ratings per provider and model, a page at a time", async () => {
    const rate = async (userId: string, provider: string, model: string, rating: 'up' | 'down', comment: string | null = null) => {
      const { sessionId, replyId } = await turn(userId, provider, model);
      await feedback.rate(userId, sessionId, replyId, rating, comment);
    };
    await rate(bed.userId, 'anthropic', 'claude-x', 'up', 'great');
    await rate(bed.otherUserId, 'anthropic', 'claude-x', 'up');
    await rate(bed.otherUserId, 'anthropic', 'claude-x', 'down');
    await rate(bed.userId, 'gemini', 'gemini-y', 'down', 'wrong');

    const first = await feedback.aggregateByModel(2);
    expect(first.models).toEqual([
      { provider: 'anthropic', model: 'claude-x', up: 2, down: 1, commented: 1, lastAt: expect.any(Date) },
      { provider: 'gemini', model: 'gemini-y', up: 0, down: 1, commented: 1, lastAt: expect.any(Date) },
    ]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await feedback.aggregateByModel(2, first.nextCursor!);
    // The first test's reply: rated down, then up.
    expect(second.models).toEqual([{ provider: 'openai', model: 'gpt-a', up: 1, down: 0, commented: 0, lastAt: expect.any(Date) }]);
    expect(second.nextCursor).toBeNull();
    await expect(feedback.aggregateByModel(2, 'bm9wZQ')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
