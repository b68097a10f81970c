import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsIn, IsObject, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsOptionalNonNull } from '../common/validation';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  SKIP_REASONS,
  type SkipReason,
} from '../delivery/delivery.entity';
import { FilterProperty, TransformProperty } from '../targets/target.dto';
import { HTTP_METHODS, type HttpMethod } from '../targets/target.entity';

/** A request to try a target with instead of a stored event; every field has a default. */
export class SampleRequestDto {
  @ApiPropertyOptional({ enum: HTTP_METHODS, enumName: 'HttpMethod', default: 'POST' })
  @IsOptionalNonNull()
  @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  /** The path it was received on, default `/`. */
  @ApiPropertyOptional({ example: '/webhook/5f0c8a52-3b43-4a1c-9d0e-8a9b7c6d5e4f', default: '/' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(2048)
  @Matches(/^\/[^?#\s]*$/, { message: 'request.path must start with "/" and have no "?", "#" or spaces' })
  path?: string;

  /** The query string, without `?` (default empty). */
  @ApiPropertyOptional({ example: 'source=shop' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(8192)
  query?: string;

  /** Header names (any case) to values; `content-type` defaults to application/json when the body is not a string. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'content-type': 'application/json', 'x-shop': 'berlin' },
  })
  @IsOptionalNonNull()
  @IsObject()
  headers?: Record<string, string>;

  /** The body: a string is taken as it is, anything else as JSON. */
  @ApiPropertyOptional({ example: { type: 'invoice.paid', data: { id: 'in_1', amount: 4200 } } })
  @Allow()
  body?: unknown;
}

/** What to try a target with: a stored event of its webhook, or a sample request (neither: a default sample). */
export class TargetTrialDto {
  /** A stored event of the target's webhook. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNonNull()
  @IsUUID()
  eventId?: string;

  @ApiPropertyOptional({ type: SampleRequestDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => SampleRequestDto)
  request?: SampleRequestDto;
}

export class PreviewTargetDto extends TargetTrialDto {
  /** Tried instead of the target's saved filter (an editor's content); null: no filter. Left out: the saved one. */
  @FilterProperty()
  filter?: object | null;

  /** Tried instead of the target's saved transform (an editor's content); null: none. Left out: the saved one. */
  @TransformProperty()
  transform?: string | null;
}

/** A request as the target would receive it (before webhooker's webhook-* headers and signature). */
export class PreviewRequestDto {
  @ApiProperty({ example: 'POST' }) method: string;
  @ApiProperty({ example: '/hooks/billing' }) path: string;
  /** Without `?`. */
  @ApiProperty({ example: 'source=shop' }) query: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<string, string>;
  /** As text (UTF-8). */
  @ApiProperty({ example: '{"invoice":"in_1","amount":4200}' }) body: string;
}

/** What a target would do with the request: nothing is sent. */
export class PreviewResultDto {
  /** Whether the filter takes the request (true without a filter). */
  @ApiProperty() matched: boolean;
  /** Whether the delivery would be skipped: by the filter, or by the transform returning null. */
  @ApiProperty() skipped: boolean;
  @ApiPropertyOptional({ enum: SKIP_REASONS, enumName: 'SkipReason', nullable: true })
  skipReason: SkipReason | null;
  /** The request as it would be sent (http targets); null when skipped, failed, or not an http target. */
  @ApiPropertyOptional({ type: PreviewRequestDto, nullable: true }) request: PreviewRequestDto | null;
  /** The URL it would be sent to. */
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://billing.example.com/hooks/billing' })
  url: string | null;
  /** Why the transform failed (a syntax error names its line); null when it did not. */
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'TypeError: cannot read property of undefined (line 3)',
  })
  error: string | null;
  /** The transform's console output (bounded). */
  @ApiProperty({ type: [String] }) logs: string[];
  /** How long the filter and transform took. */
  @ApiProperty({ example: 0.4 }) durationMs: number;
}

/** The attempt of a test send. */
export class TestAttemptDto {
  @ApiPropertyOptional({ type: Number, nullable: true, example: 200 }) statusCode: number | null;
  @ApiProperty({ example: 42 }) durationMs: number;
  /** The start of the receiver's answer (4 KiB at most). */
  @ApiPropertyOptional({ type: String, nullable: true }) responseExcerpt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error: string | null;
}

/** A test event sent to one target now, and how it went. */
export class TestResultDto {
  /** The test event (marked `test: true` in the event log). */
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  /** `delivered`, `failed` (a test is not retried) or `skipped`. */
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' }) status: DeliveryStatus;
  @ApiPropertyOptional({ enum: SKIP_REASONS, enumName: 'SkipReason', nullable: true })
  skipReason: SkipReason | null;
  /** Null when skipped. */
  @ApiPropertyOptional({ type: TestAttemptDto, nullable: true }) attempt: TestAttemptDto | null;
}
