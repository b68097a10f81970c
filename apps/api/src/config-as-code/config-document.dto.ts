import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CONFIG_KEY_PATTERN } from '../common/config-key';
import { IsOptionalNonNull } from '../common/validation';
import { FilterProperty, HttpTargetSettingsDto, TransformProperty } from '../targets/target.dto';
import { TARGET_TYPES, type TargetType } from '../targets/target.entity';
import { RETENTION_DAYS } from '../webhooks/webhook.dto';

const KEY_MESSAGE = 'key must be a letter or digit followed by up to 99 letters, digits, ".", "_" or "-"';

/** Webhooks, entrypoints and targets a document may describe at most. */
export const DOCUMENT_LIMITS = { webhooks: 500, entrypoints: 50, targets: 50 };

/** An entrypoint of a webhook in a configuration document. */
export class ConfigEntrypointDto {
  /** Stable key, unique among the webhook's entrypoints. */
  @ApiProperty({ pattern: CONFIG_KEY_PATTERN.source, example: 'stripe' })
  @IsString()
  @Matches(CONFIG_KEY_PATTERN, { message: KEY_MESSAGE })
  key: string;

  @ApiPropertyOptional({ default: '', example: 'Stripe production' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(500)
  description?: string;

  /** Inactive entrypoints answer 410 Gone. */
  @ApiPropertyOptional({ default: true })
  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;
}

/** A target of a webhook in a configuration document; secrets in `http.headers` as `${ENV_VAR}`, resolved by the CLI. */
export class ConfigTargetDto {
  /** Stable key, unique among the webhook's targets. */
  @ApiProperty({ pattern: CONFIG_KEY_PATTERN.source, example: 'billing' })
  @IsString()
  @Matches(CONFIG_KEY_PATTERN, { message: KEY_MESSAGE })
  key: string;

  @ApiProperty({ example: 'Billing service' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiProperty({ enum: TARGET_TYPES, enumName: 'TargetType' })
  @IsIn(TARGET_TYPES)
  type: TargetType;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;

  /** Required for `http` targets (at least `url`), not allowed for the others; fields left out take their defaults. */
  @ApiPropertyOptional({ type: HttpTargetSettingsDto })
  @IsOptionalNonNull()
  @IsObject()
  @ValidateNested()
  @Type(() => HttpTargetSettingsDto)
  http?: HttpTargetSettingsDto;

  /** Which events the target takes (Hookdeck/Convoy filter syntax, see the README); left out or null: every event. */
  @FilterProperty()
  filter?: object | null;

  /** JavaScript reshaping each request before it is sent (`http` targets, see the README); left out or null: none. */
  @TransformProperty()
  transform?: string | null;
}

/** A webhook in a configuration document, with all its entrypoints and targets. */
export class ConfigWebhookDto {
  /** Stable key, unique among your webhooks. */
  @ApiProperty({ pattern: CONFIG_KEY_PATTERN.source, example: 'orders' })
  @IsString()
  @Matches(CONFIG_KEY_PATTERN, { message: KEY_MESSAGE })
  key: string;

  @ApiProperty({ example: 'Orders' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  @ApiPropertyOptional({ default: '' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({
    default: RETENTION_DAYS.default,
    minimum: RETENTION_DAYS.min,
    maximum: RETENTION_DAYS.max,
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(RETENTION_DAYS.min)
  @Max(RETENTION_DAYS.max)
  retentionDays?: number;

  /** The webhook's entrypoints; ones left out are deleted only with `prune`. */
  @ApiPropertyOptional({ type: [ConfigEntrypointDto], default: [] })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(DOCUMENT_LIMITS.entrypoints)
  @ValidateNested({ each: true })
  @Type(() => ConfigEntrypointDto)
  entrypoints?: ConfigEntrypointDto[];

  /** The webhook's targets; ones left out are deleted only with `prune`. */
  @ApiPropertyOptional({ type: [ConfigTargetDto], default: [] })
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMaxSize(DOCUMENT_LIMITS.targets)
  @ValidateNested({ each: true })
  @Type(() => ConfigTargetDto)
  targets?: ConfigTargetDto[];
}

/** Declarative configuration: the webhooks you want, by key (YAML or JSON). */
export class ConfigDocumentDto {
  /** The format's version: 1. */
  @ApiPropertyOptional({ enum: [1], default: 1 })
  @IsOptionalNonNull()
  @IsIn([1])
  version?: number;

  /** Your webhooks; ones left out are deleted only with `prune`. */
  @ApiProperty({ type: [ConfigWebhookDto] })
  @IsArray()
  @ArrayMaxSize(DOCUMENT_LIMITS.webhooks)
  @ValidateNested({ each: true })
  @Type(() => ConfigWebhookDto)
  webhooks: ConfigWebhookDto[];
}

export const CHANGE_ACTIONS = ['create', 'update', 'delete'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];
export const CHANGE_KINDS = ['webhook', 'entrypoint', 'target'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** One field of a change: its value before and after (null when it does not exist on that side). */
/** A field's value: a string, number, boolean, object or null. */
const ANY_VALUE = {
  oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object', nullable: true }],
};

export class ConfigFieldChangeDto {
  /** The field, dotted for `http` settings (`http.url`). */
  @ApiProperty({ example: 'http.url' })
  field: string;

  @ApiProperty({ ...ANY_VALUE, example: 'https://old.example.com/hooks' })
  before: unknown;

  @ApiProperty({ ...ANY_VALUE, example: 'https://new.example.com/hooks' })
  after: unknown;
}

/** A change applying the document makes (plan) or made (apply). */
export class ConfigChangeDto {
  @ApiProperty({ enum: CHANGE_ACTIONS, enumName: 'ConfigChangeAction' })
  action: ChangeAction;

  @ApiProperty({ enum: CHANGE_KINDS, enumName: 'ConfigChangeKind' })
  kind: ChangeKind;

  /** The key of the webhook (for entrypoints and targets: of their webhook). */
  @ApiProperty({ example: 'orders' })
  webhook: string;

  /** The key of the object itself. */
  @ApiProperty({ example: 'billing' })
  key: string;

  /** The fields that differ: every field on create, every field on delete. */
  @ApiProperty({ type: [ConfigFieldChangeDto] })
  fields: ConfigFieldChangeDto[];

  /** Applied creates of `http` targets: the generated signing secret, shown this once. */
  @ApiPropertyOptional({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  signingSecret?: string;
}

/** What applying a document would change; empty when the configuration already matches. */
export class ConfigPlanDto {
  @ApiProperty({ type: [ConfigChangeDto] })
  changes: ConfigChangeDto[];
}

/** An entrypoint's URL after an apply, by keys. */
export class ConfigEntrypointUrlDto {
  @ApiProperty({ example: 'orders' })
  webhook: string;

  @ApiProperty({ example: 'stripe' })
  key: string;

  @ApiProperty({ example: 'https://hooks.example.com/webhook/5f0c8a52-3b43-4a1c-9d0e-8a9b7c6d5e4f' })
  url: string;
}

/** What an apply changed, and the URL of every entrypoint of the configuration afterwards. */
export class ConfigApplyDto extends ConfigPlanDto {
  @ApiProperty({ type: [ConfigEntrypointUrlDto] })
  entrypoints: ConfigEntrypointUrlDto[];
}

/** Options of plan and apply. */
export class ConfigPlanQueryDto {
  /** Also delete what the document leaves out (your webhooks, and their entrypoints and targets). */
  @ApiPropertyOptional({ default: false })
  @IsOptionalNonNull()
  @IsIn(['true', 'false'])
  prune?: 'true' | 'false';
}

/** Options of export. */
export class ConfigExportQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'yaml'], default: 'json' })
  @IsOptionalNonNull()
  @IsIn(['json', 'yaml'])
  format?: 'json' | 'yaml';
}
