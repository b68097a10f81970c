import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PageDto } from '../common/pagination';
import { IsConfigKey } from '../common/config-key';
import { IsOptionalNonNull } from '../common/validation';
import { HTTP_METHODS, type HttpMethod, TARGET_TYPES, type TargetType } from './target.entity';
import { IsHeaderMap } from './header-map.validator';
import { IsFilter } from '../routing/filter.validator';
import { MAX_TRANSFORM_CHARS } from '../routing/transform-runner';
import { DEFAULT_GRACE_PERIOD_HOURS } from './signing-secrets';

/** Defaults and bounds of an `http` target, in one place. */
export const HTTP_TARGET_DEFAULTS = {
  method: 'POST' as HttpMethod,
  timeoutMs: 15_000,
  maxRetries: 24,
  maxBackoffMs: 3_600_000,
  concurrency: 8,
};

/** The OpenAPI form of a target's filter. */
export const FILTER_PROPERTY = {
  type: 'object',
  additionalProperties: true,
  nullable: true,
  example: { body: { type: { $in: ['invoice.paid', 'invoice.failed'] }, 'data.amount': { $gte: 100 } } },
} as const;

/** The OpenAPI form of a target's transform. */
export const TRANSFORM_PROPERTY = {
  type: String,
  nullable: true,
  maxLength: MAX_TRANSFORM_CHARS,
  example:
    'function handler(request) {\n  if (request.body.type !== "invoice.paid") return null;\n  request.headers["x-amount"] = String(request.body.data.amount);\n  request.body = { invoice: request.body.data.id, amount: request.body.data.amount };\n  return request;\n}',
} as const;

/** A target's filter: its OpenAPI form and its check (it compiles). */
export const FilterProperty = () => applyDecorators(ApiPropertyOptional(FILTER_PROPERTY), IsFilter());

/** A target's transform: its OpenAPI form and its checks (whether it compiles is the service's check). */
export const TransformProperty = () =>
  applyDecorators(
    ApiPropertyOptional(TRANSFORM_PROPERTY),
    IsOptional(),
    IsString(),
    MaxLength(MAX_TRANSFORM_CHARS),
  );

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** A rate limit: deliveries per second on average, shared by every replica, with an optional burst. */
export class RateLimitSettingsDto {
  /** Deliveries per second at most, 0.01–10 000. */
  @ApiProperty({ minimum: 0.01, maximum: 10_000, example: 10 })
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 3 })
  @Min(0.01)
  @Max(10_000)
  perSecond: number;

  /** Deliveries that may go at once after a quiet spell, 1–10 000; default: `perSecond` rounded up. */
  @ApiPropertyOptional({ minimum: 1, maximum: 10_000 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(10_000)
  burst?: number;
}

/** The effective rate limit of an `http` target. */
export class RateLimitDto {
  @ApiProperty({ example: 10 })
  perSecond: number;

  @ApiProperty({ example: 10 })
  burst: number;
}

/** The settings of an `http` target; every field but `url` has a default. */
export class HttpTargetSettingsDto {
  /** Absolute http(s) URL the event is sent to. */
  @ApiPropertyOptional({ example: 'https://billing.example.com/hooks/stripe' })
  @IsOptionalNonNull()
  @IsUrl(URL_OPTIONS, { message: 'url must be an absolute http or https URL' })
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, enumName: 'HttpMethod', default: HTTP_TARGET_DEFAULTS.method })
  @IsOptionalNonNull()
  @IsIn(HTTP_METHODS)
  method?: HttpMethod;

  /** Extra headers sent with every request (webhooker sets host, content-type and the webhook-* headers itself). */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'x-api-token': 's3cr3t' },
  })
  @IsOptionalNonNull()
  @IsHeaderMap()
  headers?: Record<string, string>;

  /** Per-attempt timeout, 1 000–120 000 ms. */
  @ApiPropertyOptional({ default: HTTP_TARGET_DEFAULTS.timeoutMs, minimum: 1000, maximum: 120_000 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1000)
  @Max(120_000)
  timeoutMs?: number;

  /** Retries after the first attempt, 0–50; 0 is fire-and-forget (one attempt, no circuit breaker). */
  @ApiPropertyOptional({ default: HTTP_TARGET_DEFAULTS.maxRetries, minimum: 0, maximum: 50 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  @Max(50)
  maxRetries?: number;

  /** Longest wait between retries, 1 000 ms – 24 h. */
  @ApiPropertyOptional({ default: HTTP_TARGET_DEFAULTS.maxBackoffMs, minimum: 1000, maximum: 86_400_000 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1000)
  @Max(86_400_000)
  maxBackoffMs?: number;

  /** Attempts in flight to this target at most, 1–256; 1 delivers strictly one at a time. */
  @ApiPropertyOptional({ default: HTTP_TARGET_DEFAULTS.concurrency, minimum: 1, maximum: 256 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(256)
  concurrency?: number;

  /**
   * Deliveries per second at most, on top of `concurrency`, shared by every replica (null: none,
   * the default). Work over the limit waits without spending retries.
   */
  @ApiPropertyOptional({ type: RateLimitSettingsDto, nullable: true })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RateLimitSettingsDto)
  rateLimit?: RateLimitSettingsDto | null;
}

/** The effective settings of an `http` target. */
export class HttpTargetConfigDto {
  @ApiProperty({ example: 'https://billing.example.com/hooks/stripe' })
  url: string;

  @ApiProperty({ enum: HTTP_METHODS, enumName: 'HttpMethod' })
  method: HttpMethod;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;

  @ApiProperty({ example: 15000 })
  timeoutMs: number;

  @ApiProperty({ example: 24 })
  maxRetries: number;

  @ApiProperty({ example: 3600000 })
  maxBackoffMs: number;

  @ApiProperty({ example: 8 })
  concurrency: number;

  @ApiPropertyOptional({ type: RateLimitDto, nullable: true })
  rateLimit: RateLimitDto | null;
}

export class CreateTargetDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  /** `http` sends the event to a URL; `database` copies it into archived_events; `log` writes it to the log. */
  @ApiProperty({ enum: TARGET_TYPES, enumName: 'TargetType' })
  @IsIn(TARGET_TYPES)
  type: TargetType;

  @IsOptional()
  @IsBoolean()
  active?: boolean;

  /** Required for `http` targets (at least `url`), not allowed for the others. */
  @ValidateIf((dto: CreateTargetDto) => dto.type === 'http' || dto.http !== undefined)
  @IsObject({ message: 'http is required for an http target' })
  @ValidateNested()
  @Type(() => HttpTargetSettingsDto)
  http?: HttpTargetSettingsDto;

  /**
   * Which events the target takes: a condition on `{ method, path, query, headers, body }` in the
   * Hookdeck/Convoy filter syntax (see the README); null or left out: every event. An event it does
   * not match is recorded as a `skipped` delivery.
   */
  @FilterProperty()
  filter?: object | null;

  /**
   * JavaScript reshaping each request before it is sent, for `http` targets:
   * `function handler(request) { … return request; }` with `request` = `{ method, path, query,
   * headers, body }` (body parsed when JSON); return null to skip the event (see the README).
   * Checked on save: a syntax error is a 400 naming the line. Null or blank: none.
   */
  @TransformProperty()
  transform?: string | null;

  /** Stable key for configuration as code, unique among the webhook's targets (null removes it). */
  @IsConfigKey()
  key?: string | null;
}

export class UpdateTargetDto {
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;

  /** Changes to the settings of an `http` target; fields left out keep their value. */
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => HttpTargetSettingsDto)
  http?: HttpTargetSettingsDto;

  /** A new filter (see CreateTargetDto.filter); null removes it, left out keeps it. */
  @FilterProperty()
  filter?: object | null;

  /** A new transform (see CreateTargetDto.transform); null or blank removes it, left out keeps it. */
  @TransformProperty()
  transform?: string | null;

  /** Stable key for configuration as code, unique among the webhook's targets (null removes it). */
  @IsConfigKey()
  key?: string | null;
}

export class SigningSecretDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The start of the secret, to tell secrets apart; the rest is never shown again. */
  @ApiProperty({ example: 'whsec_MfKQ' })
  prefix: string;

  @ApiProperty()
  createdAt: string;

  /** When this secret stops signing (set when a newer secret replaced it); null while it is current. */
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;
}

export class CreatedSigningSecretDto extends SigningSecretDto {
  /** The whole secret (Standard Webhooks `whsec_…`), shown this once (an idempotent replay carries a `[redacted: …]` placeholder). */
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class RotateSigningSecretDto {
  /** How long the secrets in use keep signing next to the new one, 0–720 hours. */
  @ApiPropertyOptional({ default: DEFAULT_GRACE_PERIOD_HOURS, minimum: 0, maximum: 720 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  @Max(720)
  gracePeriodHours?: number;
}

export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** The circuit breaker of an `http` target: open after 5 failures in a row, for 30 s at a time. */
export class TargetCircuitDto {
  /** closed: attempts flow; open: none until openUntil; half-open: one probe at a time. */
  @ApiProperty({ enum: CIRCUIT_STATES, enumName: 'CircuitState' })
  state: CircuitState;

  /** Failed attempts in a row; a success resets it. */
  @ApiProperty()
  consecutiveFailures: number;

  @ApiPropertyOptional({ type: Date, nullable: true })
  openUntil: Date | null;

  /** When the current run of failures began (the auto-disable clock); null while healthy. */
  @ApiPropertyOptional({ type: Date, nullable: true })
  failingSince: Date | null;
}

export class TargetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  webhookId: string;

  @ApiProperty({ example: 'Billing service' })
  name: string;

  @ApiProperty({ enum: TARGET_TYPES, enumName: 'TargetType' })
  type: TargetType;

  @ApiProperty()
  active: boolean;

  /** Settings of an `http` target; null for other types. */
  @ApiPropertyOptional({ type: HttpTargetConfigDto, nullable: true })
  http: HttpTargetConfigDto | null;

  /** Which events the target takes (Hookdeck/Convoy filter syntax); null: every event. */
  @ApiProperty(FILTER_PROPERTY)
  filter: object | null;

  /** JavaScript reshaping each request before it is sent (`http` targets); null: none. */
  @ApiProperty(TRANSFORM_PROPERTY)
  transform: string | null;

  /** Newest first; the secrets themselves are not shown. */
  @ApiProperty({ type: [SigningSecretDto] })
  signingSecrets: SigningSecretDto[];

  @ApiProperty({ type: TargetCircuitDto })
  circuit: TargetCircuitDto;

  /** Why webhooker deactivated this target (410 Gone, failing too long); null otherwise. */
  @ApiPropertyOptional({ type: String, nullable: true })
  disabledReason: string | null;

  /** When webhooker deactivated this target; null otherwise. */
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  disabledAt: Date | null;

  /** Deliveries waiting, `paused`, for this target to be activated again. */
  @ApiProperty()
  pausedDeliveries: number;

  @ApiProperty()
  createdAt: Date;

  @ApiProperty()
  updatedAt: Date;

  /** Stable key for configuration as code; null until given. */
  @ApiProperty({ type: String, nullable: true, example: 'billing' })
  key: string | null;
}

export class CreatedTargetDto extends TargetDto {
  /** For `http` targets: the signing secret generated with the target, shown this once (an idempotent replay carries a `[redacted: …]` placeholder). */
  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  signingSecret?: string;
}

export class TargetPageDto extends PageDto(TargetDto) {}
