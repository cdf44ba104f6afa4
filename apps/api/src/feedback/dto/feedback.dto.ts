import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { FEEDBACK_RATINGS, type FeedbackRating, type MessageFeedbackEntity, type ModelFeedback } from '@app/persistence';

export const MAX_FEEDBACK_COMMENT_LENGTH = 2000;

export class RateMessageDto {
  @ApiProperty({ enum: FEEDBACK_RATINGS })
  @IsIn(FEEDBACK_RATINGS, { message: `rating must be one of ${FEEDBACK_RATINGS.join(', ')}` })
  rating: FeedbackRating;

  @ApiPropertyOptional({ type: String, maxLength: MAX_FEEDBACK_COMMENT_LENGTH, nullable: true, description: 'Replaces an earlier comment; null or absent removes it' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @Length(1, MAX_FEEDBACK_COMMENT_LENGTH, { message: `comment must be between 1 and ${MAX_FEEDBACK_COMMENT_LENGTH} characters` })
  comment?: string | null;
}

export class FeedbackResponseDto {
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ enum: FEEDBACK_RATINGS }) rating: string;
  @ApiPropertyOptional({ type: String, nullable: true }) comment: string | null;
  @ApiProperty() updatedAt: Date;
}

/** Feedback on one provider's model, for administrators. */
export class ModelFeedbackDto {
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model: string;
  @ApiProperty() up: number;
  @ApiProperty() down: number;
  @ApiProperty({ description: 'Ratings that came with a comment' }) commented: number;
  @ApiProperty({ description: 'The latest rating' }) lastAt: Date;
}

export class ModelFeedbackPageDto {
  @ApiProperty({ type: [ModelFeedbackDto], description: 'By provider, then model' }) models: ModelFeedbackDto[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Pass as `cursor` to get the next page; null on the last page' }) nextCursor: string | null;
}

export function mapFeedback(feedback: MessageFeedbackEntity): FeedbackResponseDto {
  const { messageId, rating, comment, updatedAt } = feedback;
  return { messageId, rating, comment, updatedAt };
}

export function mapModelFeedback(row: ModelFeedback): ModelFeedbackDto {
  const { provider, model, up, down, commented, lastAt } = row;
  return { provider, model, up, down, commented, lastAt };
}
