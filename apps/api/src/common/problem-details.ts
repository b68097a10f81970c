import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  /** The input field at fault, as a dotted path (`config.url`). */
  @ApiProperty({ example: 'name' })
  field: string;

  @ApiProperty({ example: 'Name must be at most 100 characters long' })
  message: string;
}

/** The one error shape of the API (RFC 9457 `application/problem+json`). */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'https://webhooker.dev/problems/validation-failed' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'Name must be at most 100 characters long' })
  detail: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];
}
