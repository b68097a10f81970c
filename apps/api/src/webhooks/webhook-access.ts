import type { AuthenticatedUser } from '../auth/auth.types';

/** Owners see their own webhooks (and everything under them); admins see all. */
export function canAccessWebhook(user: AuthenticatedUser, webhook: { ownerId: string }): boolean {
  return user.role === 'admin' || webhook.ownerId === user.id;
}
