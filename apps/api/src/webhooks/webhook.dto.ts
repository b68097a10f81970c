import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PageDto } from '../common/pagination';
import { IsConfigKey } from '../common/config-key';
import { IsOptionalNonNull } from '../common/validation';
import { EntrypointDto } from '../entrypoints/entrypoint.dto';
import { Webhook } from './webhook.entity';

export const RETENTION_DAYS = { min: 1, max: 3650, default: 30 };

export class CreateWebhookDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  /** Events are kept this many days (1–3650). */
  @ApiProperty({ required: false, default: RETENTION_DAYS.default, minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(RETENTION_DAYS.min)
  @Max(RETENTION_DAYS.max)
  retentionDays?: number;

  /** Stable key for configuration as code, unique among your webhooks (null removes it). */
  @IsConfigKey()
  key?: string | null;
}

export class UpdateWebhookDto {
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptionalNonNull()
  @IsString()
  @MaxLength(1000)
  description?: string;

  /** Events are kept this many days (1–3650). */
  @IsOptionalNonNull()
  @IsInt()
  @Min(RETENTION_DAYS.min)
  @Max(RETENTION_DAYS.max)
  retentionDays?: number;

  /** Stable key for configuration as code, unique among your webhooks (null removes it). */
  @IsConfigKey()
  key?: string | null;
}

export interface WebhookCounts {
  entrypointCount: number;
  targetCount: number;
  eventCount: number;
}

export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Stripe payments' })
  name: string;

  @ApiProperty({ example: 'Payment events from Stripe, fanned out to billing and the data warehouse' })
  description: string;

  @ApiProperty({ example: 30 })
  retentionDays: number;

  @ApiProperty({ format: 'uuid' })
  ownerId: string;

  @ApiProperty()
  entrypointCount: number;

  @ApiProperty()
  targetCount: number;

  @ApiProperty()
  eventCount: number;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;

  /** Stable key for configuration as code; null until given. */
  @ApiProperty({ type: String, nullable: true, example: 'orders' })
  key: string | null;

  static from(webhook: Webhook, counts: WebhookCounts): WebhookDto {
    return {
      id: webhook.id,
      name: webhook.name,
      description: webhook.description,
      retentionDays: webhook.retentionDays,
      ownerId: webhook.ownerId,
      ...counts,
      createdAt: webhook.createdAt,
      updatedAt: webhook.updatedAt,
      key: webhook.key,
    };
  }
}

/** A webhook with its entrypoints. */
export class WebhookDetailDto extends WebhookDto {
  @ApiProperty({ type: [EntrypointDto] })
  entrypoints: EntrypointDto[];
}

export class WebhookPageDto extends PageDto(WebhookDto) {}
