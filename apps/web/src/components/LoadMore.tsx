import { Button } from './Button';

interface LoadMoreProps {
  hasMore: boolean;
  loading: boolean;
  onLoad: () => void;
  /** What is listed, e.g. "webhooks". */
  shown: string;
}

/** The footer of a cursor-paginated list: how much is shown, and a button for the next page. */
export function LoadMore({ hasMore, loading, onLoad, shown }: LoadMoreProps) {
  return (
    <div className="flex items-center justify-between gap-4 border-t border-slate-100 px-4 py-3 text-xs text-slate-500 sm:px-6">
      <span>{shown}</span>
      {hasMore && (
        <Button size="sm" disabled={loading} onClick={onLoad}>
          {loading ? 'Loading…' : 'Load more'}
        </Button>
      )}
    </div>
  );
}
