import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type FeedbackRating, type MessageFeedbackEntity, MessageFeedbackRepository, type ModelFeedback, type ModelFeedbackCursor } from '@app/persistence';
import { decodePageCursor, encodePageCursor } from '../http/page-cursor.js';

export interface ModelFeedbackPage {
  models: ModelFeedback[];
  nextCursor: string | null;
}

/** The last row of the previous page of counts per model. */
const encodeCursor = (cursor: ModelFeedbackCursor) => encodePageCursor('m', [cursor.provider, cursor.model]);

const decodeCursor = (raw: string): ModelFeedbackCursor =>
  decodePageCursor('m', raw, (values) => {
    const [provider, model] = values;
    const valid = (part: unknown): part is string => typeof part === 'string' && part.length <= 200 && !part.includes('\u0000');
    return values.length === 2 && valid(provider) && valid(model) ? { provider, model } : undefined;
  });

/** Users rate the replies of their own sessions; administrators read the counts per model. */
@Injectable()
export class FeedbackService {
  constructor(private readonly feedback: MessageFeedbackRepository) {}

  async rate(userId: string, sessionId: string, messageId: string, rating: FeedbackRating, comment: string | null): Promise<MessageFeedbackEntity> {
    const { message, feedback } = await this.feedback.rateOwned(userId, sessionId, messageId, rating, comment);
    if (!message) throw new AppError('MESSAGE_NOT_FOUND', 'Message not found');
    if (message.role !== 'assistant') throw new AppError('FEEDBACK_NOT_ALLOWED', 'Only replies can be rated');
    if (!feedback) throw new AppError('FEEDBACK_NOT_ALLOWED', 'The reply is still being generated: rate it once it has finished');
    return feedback;
  }

  /**
   * Counts per provider and model, for the administrators' route (`GET /api/admin/feedback`): the caller checks
   * the role. Keyset paging by provider and model.
   */
  async aggregateByModel(limit: number, cursor?: string): Promise<ModelFeedbackPage> {
    const rows = await this.feedback.aggregateByModel(limit, cursor ? decodeCursor(cursor) : undefined);
    const models = rows.slice(0, limit);
    const last = models.at(-1);
    return { models, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }
}
