const UNITS = ['KiB', 'MiB', 'GiB'];
const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

/** 512 B, 1.5 KiB, 3 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = '';
  for (const next of UNITS) {
    value /= 1024;
    unit = next;
    if (value < 1024) break;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, '') : Math.round(value)} ${unit}`;
}

/** 35 ms, 1.2 s, 15 s, 5 min, 1 h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000)
    return `${ms < 10_000 ? (ms / 1000).toFixed(1).replace(/\.0$/, '') : Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

/** A rate as typed: 10, 0.5, 2.25 (at most 3 decimals, the API's precision). */
export function formatRate(perSecond: number): string {
  return perSecond.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** The time of day, to the second: "12:45:53". */
export function formatClock(value: string | number): string {
  return clock.format(new Date(value));
}

/** The full date and time, for tooltips. */
export function formatFullDate(value: string): string {
  return fullDate.format(new Date(value));
}

/** "1 event", "3 events"; "2 deliveries" with the plural given. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? noun : nouns}`;
}
