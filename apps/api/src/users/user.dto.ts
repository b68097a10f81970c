import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageDto } from '../common/pagination';
import { User, USER_ROLES, type UserRole } from './user.entity';

export const PASSWORD_MIN_LENGTH = 8;

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ enum: USER_ROLES, enumName: 'UserRole', example: 'member' })
  role: UserRole;

  /** Disabled users cannot log in and their API keys stop working. */
  @ApiProperty()
  disabled: boolean;

  @ApiProperty()
  createdAt: Date;

  static from(user: User): UserDto {
    return {
      id: user.id,
      username: user.username,
      role: user.role,
      disabled: user.disabledAt !== null,
      createdAt: user.createdAt,
    };
  }
}

export class UserPageDto extends PageDto(UserDto) {}

export class CreateUserDto {
  /** Letters, digits, `.`, `_`, `-` and `@`; unique. */
  @IsString()
  @MinLength(2)
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9._@-]+$/, {
    message: 'username may contain only letters, digits, ".", "_", "-" and "@"',
  })
  username: string;

  /** At least 8 characters. Omit it to have a random password generated and returned once. */
  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional({ enum: USER_ROLES, enumName: 'UserRole', default: 'member' })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole = 'member';
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES, enumName: 'UserRole' })
  @IsOptional()
  @IsIn(USER_ROLES)
  role?: UserRole;

  /** true disables the account at once (its sessions end, its API keys stop working). */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class ResetPasswordDto {
  /** The new password. Omit it to have a random one generated and returned once. */
  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(200)
  password?: string;

  /** true also revokes every API key of the user at once; by default their keys keep working. */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  revokeApiKeys?: boolean;
}

export class UserWithPasswordDto extends UserDto {
  /** Present only when the password was generated: shown this once (an idempotent replay carries a `[redacted: …]` placeholder). */
  @ApiPropertyOptional()
  password?: string;
}

export class GeneratedPasswordDto {
  /** Present only when the password was generated: shown this once. */
  @ApiPropertyOptional()
  password?: string;
}
