import type { Request } from 'express';
import type { UserRole } from '../users/user.entity';

/** The caller of a request, as the auth guard established it. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: UserRole;
  /** The prefix of the API key the caller sent; absent for a dashboard session. */
  apiKeyPrefix?: string;
}

/** How an action is credited (e.g. a replay): the user's name, or the API key it was made with. */
export function actorName(user: AuthenticatedUser): string {
  return user.apiKeyPrefix ? `API key ${user.apiKeyPrefix}` : user.username;
}

export type AuthMethod = 'session' | 'api-key';

declare module 'express-session' {
  interface SessionData {
    userId: string;
    csrfToken: string;
  }
}

export interface AuthenticatedRequest extends Request {
  user: AuthenticatedUser;
  authMethod: AuthMethod;
}
