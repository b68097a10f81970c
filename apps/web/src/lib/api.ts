import { client, getMeQueryKey, type SessionDto } from '@webhooker/api-client';
import { hashKey, MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { hasStatus, mayRetry } from './problem';

const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_RETRIES = 2;

client.setConfig({ baseUrl: '', credentials: 'include' });

/** A 401 means the session ended (expired, logged out elsewhere): re-checking it sends the user to login. */
function recheckSessionOn401(error: unknown, failedQueryHash?: string): void {
  if (hasStatus(error, 401) && failedQueryHash !== hashKey(getMeQueryKey())) {
    queryClient.invalidateQueries({ queryKey: getMeQueryKey() });
  }
}

export const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError: (error, query) => recheckSessionOn401(error, query.queryHash) }),
  mutationCache: new MutationCache({ onError: (error) => recheckSessionOn401(error) }),
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      retry: (failureCount, error) => failureCount < MAX_RETRIES && mayRetry(error),
    },
  },
});

/** Session requests that change state carry the session's CSRF token, kept with the getMe query. */
client.interceptors.request.use((request) => {
  if (!SAFE_METHODS.has(request.method)) {
    const csrfToken = queryClient.getQueryData<SessionDto>(getMeQueryKey())?.csrfToken;
    if (csrfToken) request.headers.set(CSRF_HEADER, csrfToken);
  }
  return request;
});
