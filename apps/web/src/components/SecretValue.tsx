import { useId } from 'react';
import { CopyButton } from './CopyButton';

interface SecretValueProps {
  label: string;
  value: string;
}

/** A value shown this once (an API key, a generated password), selectable and with a copy button. */
export function SecretValue({ label, value }: SecretValueProps) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="flex items-center gap-2">
        <input
          id={id}
          readOnly
          value={value}
          aria-describedby={`${id}-once`}
          onFocus={(event) => event.currentTarget.select()}
          className="block w-full rounded-lg border-0 bg-slate-50 px-3 py-2 font-mono text-sm text-slate-900 ring-1 ring-slate-200 ring-inset focus:ring-2 focus:ring-primary-500 focus:outline-none"
        />
        <CopyButton text={value} />
      </div>
      <p id={`${id}-once`} className="mt-2 text-xs text-amber-700">
        Copy it now: it is not shown again.
      </p>
    </div>
  );
}
