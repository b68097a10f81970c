import { Link } from 'react-router';
import { Card } from '../../components/Card';
import { CodeBlock } from '../../components/CodeBlock';
import { curlPost } from '../webhooks/verification';

const LINK = 'font-medium text-primary-600 hover:text-primary-700';

/**
 * What the overview shows before there is anything to count: without webhooks, how to start;
 * with webhooks but no events in the window, how to send one.
 */
export function EmptyOverview({ hasWebhooks, period }: { hasWebhooks: boolean; period: string }) {
  const curl = curlPost(`${window.location.origin}/webhook/<entrypoint-id>`);
  return (
    <Card title={hasWebhooks ? `No events in the ${period}` : 'No webhooks yet'}>
      <div className="space-y-4 text-sm text-slate-600">
        {hasWebhooks ? (
          <p>
            Give a webhook’s entrypoint URL to a sender, or send a test event yourself: the webhook’s page has
            its URL to copy. Charts and numbers appear here as events arrive.
          </p>
        ) : (
          <p>
            <Link to="/webhooks" className={LINK}>
              Create a webhook
            </Link>
            : it gets an entrypoint URL for senders (Stripe, GitHub, your CI). Add targets to it, and every
            event is stored, then delivered to each of them with retries. This page then shows how deliveries
            go.
          </p>
        )}
        <CodeBlock label="Send a test event" code={curl} />
      </div>
    </Card>
  );
}
