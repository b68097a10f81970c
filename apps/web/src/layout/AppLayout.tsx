import { Outlet } from 'react-router';
import { Footer } from './Footer';
import { TopNav } from './TopNav';

/** The logged-in page: navigation bar, the page, footer. */
export function AppLayout() {
  return (
    <div className="flex min-h-screen flex-col">
      <TopNav />
      <main className="mx-auto w-full max-w-6xl flex-1 px-6 py-8">
        <Outlet />
      </main>
      <Footer />
    </div>
  );
}
