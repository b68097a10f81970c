import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** A key: a letter or digit, then up to 99 letters, digits, `.`, `_` or `-`. */
export const CONFIG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** An optional key for configuration as code (null removes it). */
export function IsConfigKey(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: String,
      nullable: true,
      pattern: CONFIG_KEY_PATTERN.source,
      example: 'orders',
    }),
    IsOptional(),
    IsString(),
    Matches(CONFIG_KEY_PATTERN, {
      message: 'key must be a letter or digit followed by up to 99 letters, digits, ".", "_" or "-"',
    }),
  );
}
