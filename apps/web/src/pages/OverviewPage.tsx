import { Link } from 'react-router';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';
import { useSession } from '../lib/session';
import { YourWebhooksCard } from './overview/YourWebhooksCard';

const STEPS = [
  {
    title: 'Receive',
    text: 'Senders such as Stripe, GitHub or your CI POST webhooks to an entrypoint URL.',
  },
  {
    title: 'Store',
    text: 'Each request is committed to PostgreSQL as an event before the sender gets its 2xx: nothing accepted is lost.',
  },
  {
    title: 'Deliver',
    text: 'Every target of the webhook gets the event in parallel, with retries, backoff, circuit breaking and signatures.',
  },
];

const LINK =
  'block rounded-lg p-4 ring-1 ring-slate-200 transition-colors hover:bg-primary-50 hover:ring-primary-200';

export function OverviewPage() {
  const { user } = useSession();
  return (
    <>
      <PageHeader title="Overview" description={`Welcome, ${user.username}.`} />
      <div className="space-y-6">
        <Card title="Welcome to webhooker" description="A self-hosted webhook gateway.">
          <ol className="grid gap-6 sm:grid-cols-3">
            {STEPS.map((step, index) => (
              <li key={step.title}>
                <p className="flex items-center gap-2 text-sm font-semibold text-slate-900">
                  <span className="flex size-6 items-center justify-center rounded-full bg-primary-50 text-xs text-primary-700">
                    {index + 1}
                  </span>
                  {step.title}
                </p>
                <p className="mt-2 text-sm leading-relaxed text-slate-600">{step.text}</p>
              </li>
            ))}
          </ol>
        </Card>
        <YourWebhooksCard />
        <Card title="Get started">
          <div className="grid gap-4 sm:grid-cols-3">
            <Link to="/webhooks" className={LINK}>
              <span className="text-sm font-semibold text-primary-700">Webhooks →</span>
              <span className="mt-1 block text-sm text-slate-600">
                Create a webhook, give its entrypoint URL to a sender and add targets.
              </span>
            </Link>
            <Link to="/api-keys" className={LINK}>
              <span className="text-sm font-semibold text-primary-700">API keys →</span>
              <span className="mt-1 block text-sm text-slate-600">
                Create a key for a script or a CI pipeline that calls the API.
              </span>
            </Link>
            <a href="/api/docs" className={LINK}>
              <span className="text-sm font-semibold text-primary-700">API documentation →</span>
              <span className="mt-1 block text-sm text-slate-600">
                Every endpoint, with its parameters and errors, to try in the browser.
              </span>
            </a>
          </div>
        </Card>
      </div>
    </>
  );
}
