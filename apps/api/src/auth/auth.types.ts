import type { Request } from 'express';
import type { UserRole } from '../users/user.entity';

/** The caller of a request, as the auth guard established it. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  role: UserRole;
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
