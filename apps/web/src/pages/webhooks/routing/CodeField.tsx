import { lazy, Suspense, useId, type ReactNode } from 'react';
import type { CodeLanguage } from './CodeEditor';

/** The editor is a chunk of its own, loaded when a code field is first shown. */
const CodeEditor = lazy(() => import('./CodeEditor'));

interface CodeFieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  language: CodeLanguage;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  /** Buttons on the right of the label (insert an example, say). */
  actions?: ReactNode;
}

/** A label, a code editor, a hint and the message for what is wrong in it. */
export function CodeField({
  label,
  hint,
  error,
  language,
  value,
  onChange,
  placeholder,
  actions,
}: CodeFieldProps) {
  const id = useId();
  const labelId = `${id}-label`;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className="min-w-0">
      <div className="mb-1.5 flex flex-wrap items-center justify-between gap-x-3 gap-y-1">
        <span id={labelId} className="text-sm font-medium text-slate-700">
          {label}
        </span>
        {actions && <span className="flex gap-1">{actions}</span>}
      </div>
      <Suspense
        fallback={
          <div className="flex h-28 items-center justify-center rounded-lg bg-slate-50 text-xs text-slate-500 ring-1 ring-slate-300">
            Loading the editor…
          </div>
        }
      >
        <CodeEditor
          language={language}
          value={value}
          onChange={onChange}
          labelledBy={labelId}
          describedBy={error ? errorId : hint ? hintId : undefined}
          invalid={Boolean(error)}
          placeholder={placeholder}
        />
      </Suspense>
      {hint && !error && (
        <p id={hintId} className="mt-1.5 text-xs text-slate-500">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="mt-1.5 text-xs break-words whitespace-pre-wrap text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}
