import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageDto } from '../common/pagination';
import { IsConfigKey } from '../common/config-key';
import { IsOptionalNonNull } from '../common/validation';
import {
  DEDUP_HEADER_PATTERN,
  DEDUP_JSON_PATH_PATTERN,
  DEDUP_WINDOW,
  DedupSetting,
  MAX_DEDUP_JSON_PATH_LENGTH,
} from './dedup-settings';
import { Entrypoint } from './entrypoint.entity';
import { EntrypointVerificationDto, VerificationSettingsDto } from './verification.dto';

/** How an entrypoint recognises a duplicate: the key's source (a header or a JSON path) and the window. */
export class DedupDto {
  /** The header whose value is the key (lower-case), or null when the key comes from `jsonPath`. */
  @ApiProperty({ type: String, nullable: true, example: 'x-github-delivery' })
  header: string | null;

  /** The JSON path into the body whose value is the key, or null when it comes from `header`. */
  @ApiProperty({ type: String, nullable: true, example: null })
  jsonPath: string | null;

  /** How long a key is remembered after its first event, in seconds. */
  @ApiProperty({ example: DEDUP_WINDOW.default })
  windowSeconds: number;
}

export class EntrypointDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  webhookId: string;

  /** Where senders POST (or PUT/PATCH) their webhooks. */
  @ApiProperty({ example: 'https://hooks.example.com/webhook/5f0c8a52-3b43-4a1c-9d0e-8a9b7c6d5e4f' })
  url: string;

  @ApiProperty({ example: 'Stripe production' })
  description: string;

  /** Inactive entrypoints answer 410 Gone. */
  @ApiProperty()
  active: boolean;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;

  /** How senders are verified (`method: none` when they are not); secrets show as hints only. */
  @ApiProperty({ type: EntrypointVerificationDto })
  verification: EntrypointVerificationDto;

  /** Requests refused by verification so far (counted about once a second). */
  @ApiProperty()
  rejectedCount: number;
  /** Deduplication; null when off (every request becomes an event). */
  @ApiProperty({ type: DedupDto, nullable: true })
  dedup: DedupDto | null;

  /** Duplicates answered with the first event's id instead of becoming events. */
  @ApiProperty({ example: 0 })
  duplicateCount: number;

  /** Stable key for configuration as code; null until given. */
  @ApiProperty({ type: String, nullable: true, example: 'stripe' })
  key: string | null;

  static from(entrypoint: Entrypoint, publicUrl: string, rejectedCount = 0): EntrypointDto {
    return {
      id: entrypoint.id,
      webhookId: entrypoint.webhookId,
      url: `${publicUrl}/webhook/${entrypoint.id}`,
      description: entrypoint.description,
      active: entrypoint.active,
      createdAt: entrypoint.createdAt,
      updatedAt: entrypoint.updatedAt,
      verification: EntrypointVerificationDto.from(entrypoint.verification),
      rejectedCount,
      dedup: entrypoint.dedup,
      duplicateCount: entrypoint.duplicateCount,
      key: entrypoint.key,
    };
  }
}

export class EntrypointPageDto extends PageDto(EntrypointDto) {}

/**
 * Deduplication settings: exactly one of `header` and `jsonPath` says where the key is; a request
 * without a key (header missing, body not JSON or without the path) becomes an event as usual.
 */
export class DedupSettingsDto {
  /** A request header whose value is the key, e.g. `X-GitHub-Delivery`, `webhook-id`, `Idempotency-Key`. */
  @ApiPropertyOptional({ example: 'X-GitHub-Delivery', maxLength: 100 })
  @IsOptionalNonNull()
  @IsString()
  @Matches(DEDUP_HEADER_PATTERN, {
    message: 'dedup.header must be an HTTP header name of at most 100 characters',
  })
  header?: string;

  /**
   * A JSON path into the body whose value (a string or a number) is the key: `$` then `.name`
   * and `[index]` steps, e.g. `$.id` (Stripe's event id) or `$.events[0].id`.
   */
  @ApiPropertyOptional({ example: '$.id', maxLength: MAX_DEDUP_JSON_PATH_LENGTH })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(MAX_DEDUP_JSON_PATH_LENGTH)
  @Matches(DEDUP_JSON_PATH_PATTERN, {
    message: 'dedup.jsonPath must be $ followed by .name or [index] steps, e.g. $.id or $.data.items[0].id',
  })
  jsonPath?: string;

  /** How long a key is remembered after its first event, 60 s – 30 days (default 24 h). */
  @ApiPropertyOptional({
    default: DEDUP_WINDOW.default,
    minimum: DEDUP_WINDOW.min,
    maximum: DEDUP_WINDOW.max,
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(DEDUP_WINDOW.min)
  @Max(DEDUP_WINDOW.max)
  windowSeconds?: number;
}

export class CreateEntrypointDto {
  /** What sends to this entrypoint. */
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(500)
  description?: string;

  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;

  /** Verify senders (default: none); on a change, replaces the verification as a whole. */
  @ApiPropertyOptional({ type: VerificationSettingsDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => VerificationSettingsDto)
  verification?: VerificationSettingsDto;
  /** Drop the duplicates senders send (null: off, the default); replaces the whole setting. */
  @ApiPropertyOptional({ type: DedupSettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DedupSettingsDto)
  dedup?: DedupSettingsDto | null;

  /** Stable key for configuration as code, unique among the webhook's entrypoints (null removes it). */
  @IsConfigKey()
  key?: string | null;
}

/** The stored form of validated settings (the header lower-case, the window defaulted). */
export function dedupSetting(settings: DedupSettingsDto): DedupSetting {
  return {
    header: settings.header?.toLowerCase() ?? null,
    jsonPath: settings.jsonPath ?? null,
    windowSeconds: settings.windowSeconds ?? DEDUP_WINDOW.default,
  };
}

export class UpdateEntrypointDto extends CreateEntrypointDto {}
