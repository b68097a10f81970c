import { getHealthcheckOptions } from '@webhooker/api-client';
import { useQuery } from '@tanstack/react-query';

export function Footer() {
  const { data } = useQuery({ ...getHealthcheckOptions(), staleTime: Infinity });
  return (
    <footer className="mx-auto flex w-full max-w-6xl items-center justify-between px-4 py-6 text-xs text-slate-500 sm:px-6">
      <span>webhooker{data && ` v${data.version}`}</span>
      <span>MIT License</span>
    </footer>
  );
}
