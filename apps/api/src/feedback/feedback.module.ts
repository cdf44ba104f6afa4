import { Module } from '@nestjs/common';
import { FeedbackController } from './feedback.controller.js';
import { FeedbackService } from './feedback.service.js';

/**
 * Ratings of replies. The users' route lives here; the administrators' aggregate (`FeedbackService.aggregateByModel`)
 * is exported for the admin module, which owns the role guard.
 */
@Module({
  controllers: [FeedbackController],
  providers: [FeedbackService],
  exports: [FeedbackService],
})
export class FeedbackModule {}
