import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageDto } from '../common/pagination';
import { OPERATIONAL_EVENT_TYPES, type OperationalEventType } from '../common/operational-events';
import { IsOptionalNonNull } from '../common/validation';
import { DeliveryStatus, DELIVERY_STATUSES } from '../delivery/delivery.entity';
import { HttpTargetSettingsDto, TargetDto } from '../targets/target.dto';

/** How an alert subscription is told: `http` posts to a notification URL (signed, retried), `log` writes a log line. */
export const ALERT_SUBSCRIPTION_TYPES = ['http', 'log'] as const;
export type AlertSubscriptionType = (typeof ALERT_SUBSCRIPTION_TYPES)[number];

const EVENT_TYPES_PROPERTY = {
  enum: OPERATIONAL_EVENT_TYPES,
  enumName: 'OperationalEventType',
  isArray: true,
  example: ['target.disabled', 'delivery.failed'],
};

export class CreateAlertSubscriptionDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  /** `http`: POST each operational event to `http.url`, signed like any target; `log`: one log line each. */
  @ApiProperty({ enum: ALERT_SUBSCRIPTION_TYPES, enumName: 'AlertSubscriptionType' })
  @IsIn(ALERT_SUBSCRIPTION_TYPES)
  type: AlertSubscriptionType;

  /** The operational event types to be told about (at least one). */
  @ApiProperty(EVENT_TYPES_PROPERTY)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OPERATIONAL_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(OPERATIONAL_EVENT_TYPES, { each: true })
  eventTypes: OperationalEventType[];

  @IsOptional()
  @IsBoolean()
  active?: boolean;

  /** Required for `http` subscriptions (at least `url`), not allowed for `log`. */
  @ValidateIf((dto: CreateAlertSubscriptionDto) => dto.type === 'http' || dto.http !== undefined)
  @IsObject({ message: 'http is required for an http subscription' })
  @ValidateNested()
  @Type(() => HttpTargetSettingsDto)
  http?: HttpTargetSettingsDto;
}

export class UpdateAlertSubscriptionDto {
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional(EVENT_TYPES_PROPERTY)
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(OPERATIONAL_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(OPERATIONAL_EVENT_TYPES, { each: true })
  eventTypes?: OperationalEventType[];

  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;

  /** Changes to the settings of an `http` subscription; fields left out keep their value. */
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => HttpTargetSettingsDto)
  http?: HttpTargetSettingsDto;
}

/** An alert subscription: a target of the caller's system webhook, with the event types it wants. */
export class AlertSubscriptionDto extends TargetDto {
  @ApiProperty(EVENT_TYPES_PROPERTY)
  eventTypes: OperationalEventType[];
}

export class CreatedAlertSubscriptionDto extends AlertSubscriptionDto {
  /** For `http` subscriptions: the signing secret, shown this once (an idempotent replay carries a `[redacted: …]` placeholder). */
  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  signingSecret?: string;
}

export class AlertSubscriptionPageDto extends PageDto(AlertSubscriptionDto) {}

/** Where one operational event stands at one subscription. */
export class AlertDeliveryDto {
  /** The delivery (its attempts: GET /api/v1/deliveries/{id}/attempts). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  subscriptionId: string;

  @ApiProperty({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' })
  status: DeliveryStatus;

  @ApiProperty()
  attemptCount: number;

  @ApiPropertyOptional({ type: Number, nullable: true })
  lastStatusCode: number | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  lastError: string | null;

  @ApiPropertyOptional({ type: Date, nullable: true })
  nextAttemptAt: Date | null;

  @ApiProperty()
  updatedAt: Date;
}

/** An operational event as recorded for the caller, with its delivery to each subscription that wanted it. */
export class AlertEventDto {
  /** The event id (the `webhook-id` header receivers got). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: OPERATIONAL_EVENT_TYPES, enumName: 'OperationalEventType' })
  type: OperationalEventType;

  @ApiProperty()
  occurredAt: string;

  /** The webhook it concerns. */
  @ApiProperty({ format: 'uuid' })
  webhookId: string;

  /** Type-specific facts, as in the payload (see the `webhooks` section of this document). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;

  @ApiProperty({ type: [AlertDeliveryDto] })
  deliveries: AlertDeliveryDto[];
}

export class AlertEventPageDto extends PageDto(AlertEventDto) {}
