import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsOptionalNonNull } from '../common/validation';
import {
  HMAC_ALGORITHMS,
  type HmacAlgorithm,
  REJECTION_REASONS,
  type RejectionReason,
  SIGNATURE_ENCODINGS,
  SIGNATURE_FORMATS,
  type SignatureEncoding,
  type SignatureFormat,
  VERIFICATION_METHODS,
  VERIFICATION_PRESETS,
  type VerificationConfig,
  type VerificationMethod,
  type VerificationPreset,
} from './verification';

/** Bounds of a verification secret (token, password or HMAC key). */
export const SECRET_LENGTH = { min: 12, max: 1000 };
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_NAME_MESSAGE = '$property must be an HTTP header name';

/** The verification of an entrypoint, written by its owner; fields left out take the preset's or default value. */
export class VerificationSettingsDto {
  /** `none` switches verification off; required unless `preset` is given. */
  @ApiPropertyOptional({ enum: VERIFICATION_METHODS, enumName: 'VerificationMethod' })
  @IsOptionalNonNull()
  @IsIn(VERIFICATION_METHODS)
  method?: VerificationMethod;

  /** Fills the method and its settings for a provider (see GET /api/v1/verification-presets). */
  @ApiPropertyOptional({ enum: VERIFICATION_PRESETS, enumName: 'VerificationPreset' })
  @IsOptionalNonNull()
  @IsIn(VERIFICATION_PRESETS)
  preset?: VerificationPreset;

  /**
   * The token, password or HMAC key (12–1 000 characters; `whsec_` + base64 for Standard Webhooks and
   * Svix). Write-only: never shown again. Leave it out on a change to keep the live secrets.
   */
  @ApiPropertyOptional({ writeOnly: true, example: "It's a Secret to Everybody" })
  @IsOptionalNonNull()
  @IsString()
  @MinLength(SECRET_LENGTH.min)
  @MaxLength(SECRET_LENGTH.max)
  secret?: string;

  /** token: the header carrying the token (it may also come as `?token=`); hmac: the signature header. */
  @ApiPropertyOptional({ example: 'X-Webhook-Token' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(100)
  @Matches(HEADER_NAME, { message: HEADER_NAME_MESSAGE })
  header?: string;

  /** basic: the username (no colon). */
  @ApiPropertyOptional({ example: 'stripe' })
  @IsOptionalNonNull()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Matches(/^[^:]*$/, { message: 'username must not contain a colon' })
  username?: string;

  @ApiPropertyOptional({ enum: HMAC_ALGORITHMS, enumName: 'HmacAlgorithm', default: 'sha256' })
  @IsOptionalNonNull()
  @IsIn(HMAC_ALGORITHMS)
  algorithm?: HmacAlgorithm;

  @ApiPropertyOptional({ enum: SIGNATURE_ENCODINGS, enumName: 'SignatureEncoding', default: 'hex' })
  @IsOptionalNonNull()
  @IsIn(SIGNATURE_ENCODINGS)
  encoding?: SignatureEncoding;

  /** hmac: text before the signature in the header, e.g. `sha256=`. */
  @ApiPropertyOptional({ example: 'sha256=' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(50)
  prefix?: string;

  /** hmac: `plain` (prefix + one signature), `stripe` (`t=…,v1=…`) or `standard-webhooks` (`v1,…` list, `whsec_` keys). */
  @ApiPropertyOptional({ enum: SIGNATURE_FORMATS, enumName: 'SignatureFormat', default: 'plain' })
  @IsOptionalNonNull()
  @IsIn(SIGNATURE_FORMATS)
  signatureFormat?: SignatureFormat;

  /** hmac: what is signed, a template of `{body}` (the raw bytes), `{timestamp}` and `{id}`. */
  @ApiPropertyOptional({ default: '{body}', example: 'v0:{timestamp}:{body}' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(200)
  signedContent?: string;

  /** hmac: the header holding the signed Unix timestamp (seconds), checked against `toleranceSeconds`. */
  @ApiPropertyOptional({ example: 'X-Slack-Request-Timestamp' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(100)
  @Matches(HEADER_NAME, { message: HEADER_NAME_MESSAGE })
  timestampHeader?: string;

  /** hmac: the header holding the message id `{id}`. */
  @ApiPropertyOptional({ example: 'webhook-id' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(100)
  @Matches(HEADER_NAME, { message: HEADER_NAME_MESSAGE })
  idHeader?: string;

  /** hmac with a timestamp: how far (either way) it may be from now, 1–86 400 s. */
  @ApiPropertyOptional({ default: 300, minimum: 1, maximum: 86_400 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(1)
  @Max(86_400)
  toleranceSeconds?: number;
}

/** A secret of an entrypoint's verification, without the secret. */
export class VerificationSecretDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The last 4 characters, to tell secrets apart. */
  @ApiProperty({ example: '…body' })
  hint: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  /** When it stops verifying (a newer secret replaced it); null while current. */
  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;
}

/** The settings of a verification method (null where the method does not use one). */
export class VerificationFieldsDto {
  @ApiProperty({ enum: VERIFICATION_METHODS, enumName: 'VerificationMethod' })
  method: VerificationMethod;

  /** Header names are lower case. */
  @ApiPropertyOptional({ type: String, nullable: true })
  header: string | null;

  @ApiPropertyOptional({ enum: HMAC_ALGORITHMS, enumName: 'HmacAlgorithm', nullable: true })
  algorithm: HmacAlgorithm | null;

  @ApiPropertyOptional({ enum: SIGNATURE_ENCODINGS, enumName: 'SignatureEncoding', nullable: true })
  encoding: SignatureEncoding | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  prefix: string | null;

  @ApiPropertyOptional({ enum: SIGNATURE_FORMATS, enumName: 'SignatureFormat', nullable: true })
  signatureFormat: SignatureFormat | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  signedContent: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  timestampHeader: string | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  idHeader: string | null;

  @ApiPropertyOptional({ type: Number, nullable: true })
  toleranceSeconds: number | null;
}

/** The verification of an entrypoint that has none. */
const NO_VERIFICATION: Omit<EntrypointVerificationDto, 'secrets'> = {
  method: 'none',
  preset: null,
  header: null,
  username: null,
  algorithm: null,
  encoding: null,
  prefix: null,
  signatureFormat: null,
  signedContent: null,
  timestampHeader: null,
  idHeader: null,
  toleranceSeconds: null,
};

/** A provider's verification scheme, to fill the form of an entrypoint. */
export class VerificationPresetDto extends VerificationFieldsDto {
  @ApiProperty({ enum: VERIFICATION_PRESETS, enumName: 'VerificationPreset' })
  id: VerificationPreset;

  @ApiProperty({ example: 'GitHub' })
  name: string;

  /** Where the sender shows the secret to paste into `secret`. */
  @ApiProperty({ example: 'The "Secret" of the GitHub webhook' })
  secretDescription: string;
}

export class AddVerificationSecretDto {
  /** The new token, password or HMAC key (12–1 000 characters); write-only. */
  @ApiProperty({ writeOnly: true })
  @IsString()
  @MinLength(SECRET_LENGTH.min)
  @MaxLength(SECRET_LENGTH.max)
  secret: string;

  /** How long the secrets in use keep verifying next to the new one, 0–720 hours. */
  @ApiPropertyOptional({ default: 24, minimum: 0, maximum: 720 })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  @Max(720)
  gracePeriodHours?: number;
}

/** A request refused by inbound verification. */
export class RejectionDto {
  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '203.0.113.7' })
  sourceIp: string | null;

  /** Which check failed (the `reason` label of `webhooker_ingest_rejected_total`). */
  @ApiProperty({ enum: REJECTION_REASONS, enumName: 'RejectionReason' })
  reason: RejectionReason;

  /** The failed check in a sentence (shown to the owner only, never to the sender). */
  @ApiProperty({ example: 'x-hub-signature-256 matches none of the live secrets' })
  detail: string;

  /** The request headers, credentials and signatures redacted. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;
}

/** How many requests inbound verification refused on an entrypoint, and the last ones. */
export class EntrypointRejectionsDto {
  @ApiProperty()
  rejectedCount: number;

  /** The last 20 at most, newest first. */
  @ApiProperty({ type: [RejectionDto] })
  recent: RejectionDto[];
}

/** An entrypoint's verification as shown: the settings and a hint of each live secret. */
export class EntrypointVerificationDto extends VerificationFieldsDto {
  @ApiPropertyOptional({ enum: VERIFICATION_PRESETS, enumName: 'VerificationPreset', nullable: true })
  preset: VerificationPreset | null;

  @ApiPropertyOptional({ type: String, nullable: true })
  username: string | null;

  /** Newest first; during a rotation's grace period the older one verifies too. */
  @ApiProperty({ type: [VerificationSecretDto] })
  secrets: VerificationSecretDto[];

  /** The verification as shown: live secrets as hints only; `method: none` when there is none. */
  static from(config: VerificationConfig | null, now = Date.now()): EntrypointVerificationDto {
    if (!config) return { ...NO_VERIFICATION, secrets: [] };
    const { secrets, ...fields } = config;
    return {
      ...fields,
      secrets: secrets
        .filter((secret) => secret.expiresAt === null || Date.parse(secret.expiresAt) > now)
        .map(({ id, secret, createdAt, expiresAt }) => ({
          id,
          hint: `…${secret.slice(-4)}`,
          createdAt,
          expiresAt,
        })),
    };
  }
}
