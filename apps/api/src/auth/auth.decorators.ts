import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { AuthenticatedRequest, AuthenticatedUser } from './auth.types';

export const IS_PUBLIC = 'webhooker:isPublic';
export const ADMIN_ONLY = 'webhooker:adminOnly';

/** Marks public operations in the OpenAPI document (the document builder turns it into `security: []`). */
export const PUBLIC_EXTENSION = 'x-webhooker-public';

/** The route needs no session or API key. Every other route does. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));

/** The route is for users with the `admin` role; members get 403. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

export const OWN_LIMITS = 'webhooker:ownLimits';
/** Marks such operations in the OpenAPI document (the document builder leaves their 429 out). */
export const OWN_LIMITS_EXTENSION = 'x-webhooker-own-limits';

/**
 * The route bounds its work with limits of its own (password hashing; previews and test sends,
 * which may wait for a receiver): it is not counted among the user's API requests at once
 * (API_REQUESTS_PER_USER), so a slow one cannot hold the user's other calls.
 */
export const HasOwnLimits = () =>
  applyDecorators(SetMetadata(OWN_LIMITS, true), ApiExtension(OWN_LIMITS_EXTENSION, true));

/** The authenticated caller. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().user,
);
