import { ApiProperty } from '@nestjs/swagger';
import { BodyExamples, BodyInt, ReadOnlyDate, ReadOnlyField } from '@app/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { PluginRating } from '../registry.entity.js';

/** Your rating of a plugin; posting again replaces it. */
@BodyExamples({
  review: { summary: 'A rating with a short review', value: { rating: 5, text: 'Does one thing well.' } },
})
export class CreatePluginReviewDto {
  @BodyInt({ min: 1, max: 5, description: 'Rating from 1 (poor) to 5 (excellent).' })
  rating: number;

  /** What you think of it. */
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  text?: string;
}

export class PluginReviewResponseDto {
  /** Unique id. */
  @ReadOnlyField()
  id: string;
  /** The plugin key. */
  @ReadOnlyField()
  plugin: string;
  /** Who wrote it (user id). */
  @ReadOnlyField()
  user_id: string;
  /** Their display name. */
  @ReadOnlyField()
  user_name: string;
  /** Rating from 1 to 5. */
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 5 })
  rating: number;
  /** Review text. */
  text: string;
  /** When it was first written. */
  @ReadOnlyDate()
  created_at: string;
  /** When it was last changed. */
  @ReadOnlyDate()
  updated_at: string;

  static from(r: PluginRating, userName: string): PluginReviewResponseDto {
    return {
      id: r.id,
      plugin: r.key,
      user_id: r.userId,
      user_name: userName,
      rating: r.rating,
      text: r.text,
      created_at: r.createdAt.toISOString(),
      updated_at: r.updatedAt.toISOString(),
    };
  }
}
