import { STATS_WINDOWS, type StatsWindow } from './chartData';

const LABELS: Record<StatsWindow, string> = { '1h': '1 hour', '24h': '24 hours', '7d': '7 days' };

/** A segmented control choosing the overview's time window. */
export function WindowSelector({
  value,
  onChange,
}: {
  value: StatsWindow;
  onChange: (option: StatsWindow) => void;
}) {
  return (
    <div
      role="radiogroup"
      aria-label="Time window"
      className="inline-flex rounded-lg bg-white p-1 shadow-sm ring-1 ring-slate-900/5"
    >
      {STATS_WINDOWS.map((option) => (
        <button
          key={option}
          type="button"
          role="radio"
          aria-checked={value === option}
          onClick={() => onChange(option)}
          className={`rounded-md px-3 py-1.5 text-sm font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary-500 max-sm:min-h-9 ${
            value === option
              ? 'bg-primary-500 text-white shadow-sm'
              : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'
          }`}
        >
          {LABELS[option]}
        </button>
      ))}
    </div>
  );
}
