import { CopyButton } from './CopyButton';

/** A command to paste in a terminal, with a copy button. */
export function CodeBlock({ label, code }: { label: string; code: string }) {
  return (
    <figure>
      <figcaption className="mb-1.5 flex items-center justify-between text-sm font-medium text-slate-700">
        {label}
        <CopyButton text={code} />
      </figcaption>
      <pre className="rounded-lg whitespace-pre-wrap wrap-anywhere bg-slate-900 px-4 py-3 font-mono text-xs leading-relaxed text-slate-100">
        <code>{code}</code>
      </pre>
    </figure>
  );
}
