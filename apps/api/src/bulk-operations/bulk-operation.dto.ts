import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsDateString, IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageDto } from '../common/pagination';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../delivery/delivery.entity';
import {
  BULK_OPERATION_KINDS,
  BULK_OPERATION_STATES,
  type BulkOperationKind,
  type BulkOperationState,
} from './bulk-operation.entity';

/** The statuses a bulk replay may select: finished or held deliveries. */
export const REPLAYABLE_STATUSES = ['failed', 'cancelled', 'paused'] as const;
/** The statuses a bulk cancel may select: work not yet done. */
export const CANCELLABLE_STATUSES = ['pending', 'retrying', 'paused'] as const;

/** The part of a bulk filter shared by replay and cancel: target and time range. */
abstract class DeliveryRangeDto {
  /** Only the deliveries to this target (a target of this webhook). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  targetId?: string;

  /**
   * Only deliveries created at or after this time (ISO 8601). A delivery is created when its event
   * is received (or when an event is replayed to a new target).
   */
  @IsOptional()
  @IsDateString()
  since?: string;

  /** Only deliveries created before this time (ISO 8601); must be later than `since`. */
  @IsOptional()
  @IsDateString()
  until?: string;
}

/** Which deliveries of the webhook to replay. */
export class ReplayFilterDto extends DeliveryRangeDto {
  /** Replay the deliveries in these statuses. */
  @ApiProperty({ enum: REPLAYABLE_STATUSES, isArray: true, example: ['failed'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(REPLAYABLE_STATUSES, { each: true })
  status: (typeof REPLAYABLE_STATUSES)[number][];
}

/** Which deliveries of the webhook to cancel. */
export class CancelFilterDto extends DeliveryRangeDto {
  /** Cancel the deliveries in these statuses. */
  @ApiProperty({ enum: CANCELLABLE_STATUSES, isArray: true, example: ['pending', 'retrying'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(CANCELLABLE_STATUSES, { each: true })
  status: (typeof CANCELLABLE_STATUSES)[number][];
}

/** The filter of a bulk operation, as it was given. */
export class BulkOperationFilterDto {
  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus', isArray: true })
  status: DeliveryStatus[];

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true })
  targetId: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  since: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  until: string | null;
}

/** A replay or cancel by filter and its progress. */
export class BulkOperationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  webhookId: string;

  @ApiProperty({ enum: BULK_OPERATION_KINDS, enumName: 'BulkOperationKind' })
  kind: BulkOperationKind;

  @ApiProperty({ type: BulkOperationFilterDto })
  filter: BulkOperationFilterDto;

  /** `running` until every batch is done; `failed` (with `error`) when it could not go on. */
  @ApiProperty({ enum: BULK_OPERATION_STATES, enumName: 'BulkOperationState' })
  state: BulkOperationState;

  /** How many deliveries the filter matched when the operation was made. */
  @ApiProperty()
  total: number;

  /**
   * How many deliveries have been replayed or cancelled so far. When the operation ends it may
   * differ a little from `total`: deliveries that changed status meanwhile (one delivered, another
   * newly failed) are counted when they match at the time their batch runs.
   */
  @ApiProperty()
  done: number;

  @ApiPropertyOptional({ type: String, nullable: true })
  error: string | null;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;

  @ApiPropertyOptional({ type: Date, nullable: true })
  finishedAt: Date | null;
}

export class BulkOperationPageDto extends PageDto(BulkOperationDto) {}
