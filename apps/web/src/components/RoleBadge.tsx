import type { UserRole } from '@webhooker/api-client';
import { Badge } from './Badge';

export function RoleBadge({ role }: { role: UserRole }) {
  return <Badge tone={role === 'admin' ? 'primary' : 'grey'}>{role}</Badge>;
}
