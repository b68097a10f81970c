import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { UUID_PATTERN } from './http';

/** How many items a page holds when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 50;

/** `?limit=&cursor=` for every list endpoint. */
export class PageQueryDto {
  /** How many items to return (1–200). */
  @ApiPropertyOptional({
    description: 'How many items to return (1–200).',
    default: DEFAULT_PAGE_LIMIT,
    minimum: 1,
    maximum: 200,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number = DEFAULT_PAGE_LIMIT;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The base of a page class for `T` (`{ items, nextCursor }`): `class XPageDto extends PageDto(XDto) {}`. */
export function PageDto<T>(item: new () => T) {
  abstract class PageOf {
    @ApiProperty({ type: [item] })
    items: T[];

    /** Pass as `cursor` to get the next page; null on the last page. */
    @ApiPropertyOptional({ type: String, nullable: true })
    nextCursor: string | null;
  }
  return PageOf;
}

/** A position in a list ordered by (time, id), newest first. */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

export function encodeCursor(time: Date, id: string): string {
  return Buffer.from(JSON.stringify({ createdAt: time.toISOString(), id })).toString('base64url');
}

function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPosition;
    // Checked here: a cursor is client input, and a bad date or id would otherwise fail in SQL (500).
    if (
      typeof decoded?.createdAt === 'string' &&
      !Number.isNaN(Date.parse(decoded.createdAt)) &&
      typeof decoded.id === 'string' &&
      UUID_PATTERN.test(decoded.id)
    )
      return decoded;
  } catch {
    return undefined;
  }
  return undefined;
}

/** The position a `cursor` query parameter names; a cursor that cannot be decoded is a 400. */
export function cursorPosition(cursor: string | undefined): CursorPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor);
  if (!position) throw new BadRequestException('cursor is not valid');
  return position;
}

/** Keyset pagination, newest first, over `alias.created_at, alias.id`. */
export async function paginate<T extends ObjectLiteral & { id: string; createdAt: Date }>(
  query: SelectQueryBuilder<T>,
  page: PageQueryDto,
): Promise<Page<T>> {
  const alias = query.alias;
  const limit = page.limit ?? DEFAULT_PAGE_LIMIT;
  const position = cursorPosition(page.cursor);
  if (position) {
    query.andWhere(`(${alias}.createdAt, ${alias}.id) < (:cursorCreatedAt, :cursorId)`, {
      cursorCreatedAt: position.createdAt,
      cursorId: position.id,
    });
  }
  const rows = await query
    .orderBy(`${alias}.createdAt`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(limit + 1)
    .getMany();
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null;
  return { items, nextCursor };
}
