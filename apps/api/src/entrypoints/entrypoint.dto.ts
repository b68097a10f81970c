import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { PageDto } from '../common/pagination';
import { IsOptionalNonNull } from '../common/validation';
import { Entrypoint } from './entrypoint.entity';

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

  static from(entrypoint: Entrypoint, publicUrl: string): EntrypointDto {
    return {
      id: entrypoint.id,
      webhookId: entrypoint.webhookId,
      url: `${publicUrl}/webhook/${entrypoint.id}`,
      description: entrypoint.description,
      active: entrypoint.active,
      createdAt: entrypoint.createdAt,
      updatedAt: entrypoint.updatedAt,
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
}

export class UpdateEntrypointDto extends CreateEntrypointDto {}
