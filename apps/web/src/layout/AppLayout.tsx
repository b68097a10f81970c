import { Outlet } from 'react-router';
import { Footer } from './Footer';
import { TopNav } from './TopNav';

/** The logged-in page: a skip link, navigation bar, the page, footer. */
export function AppLayout() {
  return (
    <div className="flex min-h-screen flex-col">
      <a
        href="#main"
        className="sr-only rounded-lg bg-white text-sm font-medium text-primary-700 shadow-lg focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50 focus:px-4 focus:py-2.5"
      >
        Skip to content
      </a>
      <TopNav />
      <main
        id="main"
        tabIndex={-1}
        className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 focus:outline-none sm:px-6 sm:py-8"
      >
        <Outlet />
      </main>
      <Footer />
    </div>
  );
}
