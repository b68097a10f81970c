import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional } from 'class-validator';
import { PageDto, PageQueryDto } from '../common/pagination';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  SKIP_REASONS,
  type SkipReason,
} from '../delivery/delivery.entity';

export class EventListQueryDto extends PageQueryDto {
  /** Only events with at least one delivery in this status. */
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  /** Only events received at or after this time (ISO 8601). */
  @IsOptional()
  @IsDateString()
  since?: string;

  /** Only events received before this time (ISO 8601). */
  @IsOptional()
  @IsDateString()
  until?: string;
}

export class DeliveryListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class DeliveryCountsDto {
  @ApiProperty() pending: number;
  @ApiProperty() retrying: number;
  /** Waiting for their target to be activated again. */
  @ApiProperty() paused: number;
  @ApiProperty() delivered: number;
  @ApiProperty() failed: number;
  @ApiProperty() cancelled: number;
  /** Not for their target (its filter did not match the event, or its transform returned null): never attempted. */
  @ApiProperty() skipped: number;
}

export class EventSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) webhookId: string;
  /** Null for an operational event of a system webhook (alerts). */
  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true }) entrypointId: string | null;
  @ApiProperty({ example: 'POST' }) method: string;
  @ApiProperty({ example: '/webhook/5f0c8a52-3b43-4a1c-9d0e-8a9b7c6d5e4f' }) path: string;
  /** The query string without `?`. */
  @ApiProperty({ example: 'source=stripe' }) query: string;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'application/json' }) contentType:
    string | null;
  /** Body size in bytes. */
  @ApiProperty({ example: 1024 }) size: number;
  @ApiPropertyOptional({ type: String, nullable: true, example: '203.0.113.7' }) sourceIp: string | null;
  @ApiProperty() receivedAt: Date;
  /** A test event, sent to one target from the dashboard or `POST /api/v1/targets/{id}/test`. */
  @ApiProperty({ example: false }) test: boolean;
  /** How many of the event's deliveries are in each status. */
  @ApiProperty({ type: DeliveryCountsDto }) deliveryCounts: DeliveryCountsDto;
}

export class EventPageDto extends PageDto(EventSummaryDto) {}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) eventId: string;
  @ApiProperty({ format: 'uuid' }) webhookId: string;
  @ApiProperty({ format: 'uuid' }) targetId: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' }) status: DeliveryStatus;
  @ApiProperty() attemptCount: number;
  @ApiPropertyOptional({ type: Date, nullable: true }) nextAttemptAt: Date | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) lastStatusCode: number | null;
  @ApiPropertyOptional({ type: String, nullable: true }) lastError: string | null;
  /** Why a `skipped` delivery was not sent: `filter` (the target's filter did not match) or `transform` (its transform returned null); null otherwise. */
  @ApiPropertyOptional({ enum: SKIP_REASONS, enumName: 'SkipReason', nullable: true })
  skipReason: SkipReason | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class DeliveryPageDto extends PageDto(DeliveryDto) {}

export class EventDetailDto extends EventSummaryDto {
  /** Header names in lower case, as received. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers: Record<string, string>;
  /** The body: text when it is valid UTF-8, base64 otherwise (see bodyEncoding). */
  @ApiProperty() body: string;
  @ApiProperty({ enum: ['utf8', 'base64'] }) bodyEncoding: 'utf8' | 'base64';
  @ApiProperty({ type: [DeliveryDto] }) deliveries: DeliveryDto[];
}

export class DeliveryAttemptDto {
  @ApiProperty({ example: '1842' }) id: string;
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  /** 1 for the first try. */
  @ApiProperty() attemptNumber: number;
  @ApiProperty() startedAt: Date;
  @ApiProperty() durationMs: number;
  @ApiPropertyOptional({ type: Number, nullable: true }) statusCode: number | null;
  /**
   * The first 4 KiB of the response body, decoded as UTF-8 text: NUL bytes and bytes that are not
   * UTF-8 (a binary or compressed answer) read as U+FFFD.
   */
  @ApiPropertyOptional({ type: String, nullable: true }) responseExcerpt: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) error: string | null;
}

export class ReplayResultDto {
  /** How many deliveries were (re)queued. */
  @ApiProperty() replayed: number;
}
