import { createBrowserRouter } from 'react-router';
import { AppLayout } from './layout/AppLayout';
import { RequireAdmin } from './layout/RequireAdmin';
import { RequireSession } from './layout/RequireSession';
import { AccountPage } from './pages/AccountPage';
import { AlertsPage } from './pages/AlertsPage';
import { AllEventsPage } from './pages/AllEventsPage';
import { ApiKeysPage } from './pages/ApiKeysPage';
import { EventLogPage } from './pages/EventLogPage';
import { EventPage } from './pages/EventPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OverviewPage } from './pages/OverviewPage';
import { UsersPage } from './pages/UsersPage';
import { WebhookPage } from './pages/WebhookPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { RecoveryPage } from './pages/RecoveryPage';
import { WebhookLayout } from './pages/webhooks/WebhookLayout';

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <AppLayout />,
        children: [
          { index: true, element: <OverviewPage /> },
          { path: 'webhooks', element: <WebhooksPage /> },
          {
            path: 'webhooks/:webhookId',
            element: <WebhookLayout />,
            children: [
              { index: true, element: <WebhookPage /> },
              { path: 'events', element: <EventLogPage /> },
              { path: 'recovery', element: <RecoveryPage /> },
            ],
          },
          { path: 'events', element: <AllEventsPage /> },
          { path: 'events/:eventId', element: <EventPage /> },
          { path: 'alerts', element: <AlertsPage /> },
          { path: 'api-keys', element: <ApiKeysPage /> },
          { path: 'account', element: <AccountPage /> },
          { element: <RequireAdmin />, children: [{ path: 'users', element: <UsersPage /> }] },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
