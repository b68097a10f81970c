// Group commit for the bench's reference programs: the items submitted within `windowMs` (or
// `maxRows` of them, whichever comes first) are written by one call of `write`, at most
// `maxInFlight` calls at once — as webhooker's ingest and result writer gather theirs.
import { clearTimeout, setTimeout } from 'node:timers';

export function groupCommit({ write, windowMs, maxRows, maxInFlight }) {
  const waiting = [];
  const idle = [];
  let timer;
  let inFlight = 0;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.splice(0, maxRows);
      inFlight++;
      write(batch.map((waiter) => waiter.item))
        .then(
          () => batch.forEach((waiter) => waiter.resolve()),
          (error) => batch.forEach((waiter) => waiter.reject(error)),
        )
        .finally(() => {
          inFlight--;
          if (waiting.length >= maxRows || (idle.length > 0 && waiting.length > 0)) flush();
          else if (waiting.length > 0 && !timer) timer = setTimeout(flush, windowMs);
          if (inFlight === 0 && waiting.length === 0) idle.splice(0).forEach((resolve) => resolve());
        });
    }
  };
  return {
    /** Resolves once the item's group is committed; rejects with the write's error. */
    submit(item) {
      return new Promise((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        if (waiting.length >= maxRows) flush();
        else if (!timer) timer = setTimeout(flush, windowMs);
      });
    },
    /** Resolves once everything submitted so far is committed; what waits is written at once. */
    drained() {
      if (inFlight === 0 && waiting.length === 0) return Promise.resolve();
      const done = new Promise((resolve) => idle.push(resolve));
      flush();
      return done;
    },
  };
}
