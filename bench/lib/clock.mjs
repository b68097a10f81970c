// An epoch clock in milliseconds with a fraction, comparable across processes on one machine.
//
// performance.now() is monotonic and sub-millisecond but relative to each process's own start;
// Date.now() is shared by all processes but only whole milliseconds. Each process aligns the two
// once, at the instant Date.now() ticks over to a new millisecond, so the load generator (which
// stamps `x-sent-at`) and the sink (which subtracts it) read the same clock to a few microseconds.
import { performance } from 'node:perf_hooks';

function calibrate() {
  const start = Date.now();
  let tick;
  while ((tick = Date.now()) === start) {
    // spin (at most 1 ms) until the millisecond changes
  }
  return tick - performance.now();
}

const offset = calibrate();

/** Milliseconds since the epoch, with a fraction. */
export function now() {
  return offset + performance.now();
}
