import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsObject, IsString, MaxLength, ValidateNested } from 'class-validator';
import { PageDto } from '../common/pagination';
import { IsOptionalNonNull } from '../common/validation';
import { Entrypoint } from './entrypoint.entity';
import { EntrypointVerificationDto, VerificationSettingsDto } from './verification.dto';

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
    };
  }
}

export class EntrypointPageDto extends PageDto(EntrypointDto) {}

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
}

export class UpdateEntrypointDto extends CreateEntrypointDto {}
