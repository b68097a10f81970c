import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MIN_LENGTH, UserDto } from '../users/user.dto';

export class LoginDto {
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  username: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password: string;
}

export class SessionDto {
  @ApiProperty({ type: UserDto })
  user: UserDto;

  @ApiProperty({ enum: ['session', 'api-key'], enumName: 'AuthMethod' })
  authMethod: 'session' | 'api-key';

  /** Send it as `X-CSRF-Token` on every state-changing request made with the session cookie. */
  @ApiPropertyOptional()
  csrfToken?: string;
}

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  currentPassword: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(200)
  newPassword: string;
}
