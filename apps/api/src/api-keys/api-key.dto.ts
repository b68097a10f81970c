import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { PageDto } from '../common/pagination';
import { ApiKey } from './api-key.entity';

export class CreateApiKeyDto {
  /** What the key is for, e.g. the CI pipeline that uses it. */
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'GitHub Actions' })
  name: string;

  /** The first characters of the key, to tell keys apart. */
  @ApiProperty({ example: 'whk_3fK9a0Qe' })
  prefix: string;

  @ApiProperty()
  createdAt: Date;

  @ApiPropertyOptional({ type: Date, nullable: true })
  lastUsedAt: Date | null;

  static from(key: ApiKey): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt,
      lastUsedAt: key.lastUsedAt,
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /**
   * The whole key: send it as `Authorization: Bearer <key>`. Shown this once; only its hash is stored
   * (an idempotent replay carries a `[redacted: …]` placeholder instead).
   */
  @ApiProperty({ example: 'whk_3fK9a0QeZ2m8yNf4u1cWkq7hT6pLr0sXbVd5gEa9iJo' })
  key: string;
}

export class ApiKeyPageDto extends PageDto(ApiKeyDto) {}
