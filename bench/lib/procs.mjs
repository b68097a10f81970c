// Child processes of the bench: free ports, forked helper servers, peak RSS, and cleanup on exit.
import { fork } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Cleanups of everything still running, run on the way out (also on Ctrl-C). */
const cleanups = new Set();

export function onCleanup(cleanup) {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs the cleanups newest first (a server stops before its data folder is removed). */
export async function cleanupAll() {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const cleanup of pending) {
    try {
      await cleanup();
    } catch {
      // keep cleaning up the rest
    }
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Peak resident set size (VmHWM) of a process in bytes, or undefined once it is gone. */
export function peakRss(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a new peak: the kernel sets the process's VmHWM to its current RSS (`clear_refs` 5), so a
 * later peakRss() is the peak since this call.
 */
export function resetPeakRss(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/**
 * A memory cgroup of `limitMb` below this process's own (cgroup v1 or v2; needs root or a delegated
 * cgroup), removed on the way out: a process started in it sees that limit as a container's would.
 * Returns its `cgroup.procs` file.
 */
export function memoryCgroup(limitMb) {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const v1 = lines.find((line) => /^\d+:memory:/.test(line));
  const own = v1
    ? path.join('/sys/fs/cgroup/memory', v1.split(':')[2])
    : path.join('/sys/fs/cgroup', lines[0].slice(3));
  const dir = path.join(own, `webhooker-bench-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, v1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limitMb * 2 ** 20));
  } catch (error) {
    throw new Error(`--memory-limit needs a memory cgroup it can make (${dir}): ${error.message}`);
  }
  onCleanup(() => rmdirSync(dir));
  return path.join(dir, 'cgroup.procs');
}

/** Polls `check` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs, intervalMs = 100 }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Forks one of the helper servers in bench/servers (with `args`), waits for it to report its port, and returns
 * a handle that can ask it questions (`call`) and stop it.
 */
export async function forkServer(script, args = [], startTimeoutMs = 10_000) {
  const child = fork(script, args, { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const replies = new Map();
  /** The rejections of the calls not answered yet, run if the child exits first. */
  const unanswered = new Map();
  let nextId = 1;
  child.on('message', (message) => {
    const reply = replies.get(message?.id);
    if (reply) {
      replies.delete(message.id);
      unanswered.delete(message.id);
      reply(message.stats);
    }
  });
  exited.then((code) => unanswered.forEach((reject) => reject(code)));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), startTimeoutMs);
    child.on('message', (message) => {
      if (message?.ready) {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const unregister = onCleanup(stop);
  return {
    pid: child.pid,
    port,
    url: `http://127.0.0.1:${port}`,
    /** Asks the child; rejects when it cannot be asked or exits before it answers. */
    call(cmd, extra = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        replies.set(id, resolve);
        unanswered.set(id, (code) => reject(new Error(`${script} exited (${code}) before answering ${cmd}`)));
        child.send({ id, cmd, ...extra }, (error) => error && reject(error));
      });
    },
    async stop() {
      unregister();
      await stop();
    },
  };
}

/** utime + stime of a process in clock ticks (1/100 s on Linux), or 0 once it is gone. */
function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Every process below `pid` (e.g. the embedded PostgreSQL and its backends under webhooker). */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length) {
    const next = stack.pop();
    found.push(next);
    stack.push(...(children.get(next) ?? []));
  }
  return found;
}

/** Busy and stolen CPU ticks of the whole machine, from /proc/stat. */
function machineTicks() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + steal, steal };
}

/**
 * Measures the CPU used by groups of processes over a stretch of time: `groups` maps a name to a
 * pid, or to `{ below: pid }` for every process under it. `stop()` returns cores used per group,
 * plus `other`: what the rest of the machine used meanwhile (other work skews the numbers).
 */
export function cpuMeter(groups) {
  const read = () => {
    const ticks = {};
    for (const [name, spec] of Object.entries(groups)) {
      const pids = typeof spec === 'number' ? [spec] : descendants(spec.below);
      ticks[name] = new Map(pids.map((pid) => [pid, cpuTicks(pid)]));
    }
    return ticks;
  };
  const before = read();
  const machineBefore = machineTicks();
  const startedAt = Date.now();
  return {
    stop() {
      const after = read();
      const machineAfter = machineTicks();
      const seconds = (Date.now() - startedAt) / 1000;
      const cores = (ticks) => Math.round((ticks / 100 / seconds) * 100) / 100;
      const result = {};
      let ours = 0;
      for (const name of Object.keys(groups)) {
        let used = 0;
        for (const [pid, ticks] of after[name]) used += ticks - (before[name].get(pid) ?? 0);
        ours += used;
        result[name] = cores(used);
      }
      result.other = cores(Math.max(0, machineAfter.busy - machineBefore.busy - ours));
      const steal = cores(machineAfter.steal - machineBefore.steal);
      if (steal > 0) result.steal = steal;
      return result;
    },
  };
}

/** Cores the machine is busy with right now (sampled over `ms`). */
export async function machineBusyCores(ms = 1000) {
  const before = machineTicks();
  const startedAt = Date.now();
  await sleep(ms);
  return (machineTicks().busy - before.busy) / 100 / ((Date.now() - startedAt) / 1000);
}

/** Waits (at most `maxMs`) until the machine is quiet; returns the busy cores last seen. */
export async function waitForQuiet({ maxBusyCores = 0.25, maxMs = 30_000 } = {}) {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const busy = await machineBusyCores();
    if (busy <= maxBusyCores || Date.now() > deadline) return busy;
  }
}
