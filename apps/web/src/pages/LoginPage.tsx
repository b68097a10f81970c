import { getMeOptions, getMeQueryKey, loginMutation } from '@webhooker/api-client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { Button } from '../components/Button';
import { ErrorAlert } from '../components/ErrorAlert';
import { TextField } from '../components/Field';
import { Logo } from '../components/Logo';
import { Footer } from '../layout/Footer';
import { errorMessage } from '../lib/problem';
import { safeNextPath } from '../lib/session';

export function LoginPage() {
  const [searchParams] = useSearchParams();
  const next = safeNextPath(searchParams.get('next'));
  const queryClient = useQueryClient();
  const me = useQuery(getMeOptions());
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    ...loginMutation(),
    onSuccess: (session) => queryClient.setQueryData(getMeQueryKey(), session),
  });

  useEffect(() => {
    document.title = 'Log in · webhooker';
  }, []);

  // isSuccess, not data: after a 401 the query still holds the ended session's data.
  if (me.isSuccess) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ body: { username, password } });
  };

  return (
    <div className="flex min-h-screen flex-col">
      <main className="flex flex-1 flex-col items-center justify-center px-6 py-12">
        <Logo />
        <div className="mt-8 w-full max-w-sm rounded-xl bg-white px-8 py-8 shadow-sm ring-1 ring-slate-900/5">
          <h1 className="text-xl font-semibold text-slate-900">Log in</h1>
          <p className="mt-1 text-sm text-slate-500">Use your webhooker username and password.</p>
          <form onSubmit={submit} className="mt-6 space-y-4">
            <TextField
              label="Username"
              name="username"
              autoComplete="username"
              autoFocus
              required
              value={username}
              onChange={(event) => setUsername(event.target.value)}
            />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
            />
            <ErrorAlert message={login.isError ? errorMessage(login.error) : undefined} />
            <Button type="submit" variant="primary" className="w-full" disabled={login.isPending}>
              {login.isPending ? 'Logging in…' : 'Log in'}
            </Button>
          </form>
        </div>
      </main>
      <Footer />
    </div>
  );
}
