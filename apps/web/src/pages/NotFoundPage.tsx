import { Link } from 'react-router';
import { Card } from '../components/Card';
import { PageHeader } from '../components/PageHeader';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <Card>
        <p className="text-sm text-slate-600">
          There is nothing at this address.{' '}
          <Link to="/" className="font-medium text-primary-600 hover:text-primary-700">
            Go to the overview
          </Link>
          .
        </p>
      </Card>
    </>
  );
}
