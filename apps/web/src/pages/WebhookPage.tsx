import { EntrypointsCard } from './webhooks/EntrypointsCard';
import { TargetsCard } from './webhooks/TargetsCard';
import { useWebhook } from './webhooks/WebhookLayout';

/** A webhook's entrypoints (where events come in) and targets (where they go). */
export function WebhookPage() {
  const webhook = useWebhook();
  return (
    <div className="space-y-6">
      <EntrypointsCard webhook={webhook} />
      <TargetsCard webhook={webhook} />
    </div>
  );
}
