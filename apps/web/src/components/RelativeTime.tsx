import { useEffect, useState } from 'react';

/** How often a time within NEAR_MS of now ticks, and how often any other does. */
const NEAR_REFRESH_MS = 1000;
const FAR_REFRESH_MS = 30_000;
const NEAR_MS = 120_000;
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/** "3 hours ago", "in 2 minutes"; within the minute "in 20 seconds" ahead and "just now" behind. */
export function formatRelative(date: Date, now: number): string {
  const seconds = (date.getTime() - now) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  if (seconds >= 1) return relative.format(Math.round(seconds), 'second');
  return 'just now';
}

/** The current time, taken again every `intervalMs` (a render each time). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "3 hours ago", with the full date on hover; within two minutes of now it ticks every second. */
export function RelativeTime({ value }: { value: string }) {
  const date = new Date(value);
  const now = useNow(Math.abs(date.getTime() - Date.now()) < NEAR_MS ? NEAR_REFRESH_MS : FAR_REFRESH_MS);
  return (
    <time dateTime={value} title={full.format(date)}>
      {formatRelative(date, now)}
    </time>
  );
}
