// The results table (markdown, to paste into the README) and the machine facts.
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { summarize } from './stats.mjs';
import { REPO_ROOT } from './webhooker.mjs';

export const TARGETS = {
  apiShareOfDurable: 0.8,
  ingestShareOfDurable: 0.5,
  drainRate: 5000,
  peakRssMb: 300,
  verifiedShareOfIngest: 0.8,
  dedupShareOfIngest: 0.8,
  filtersShare: 0.8,
  transformsShare: 0.5,
  sandboxP50Ms: 1,
  latencyP50Ms: 5,
  latencyP99Ms: 50,
  fanoutRate: 8000,
};

function git(...args) {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Latency of an 8 KiB write + fdatasync in the temporary folder (where the databases live). */
function fsyncLatency() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'webhooker-bench-fsync-'));
  const fd = openSync(path.join(dir, 'probe'), 'w');
  const block = Buffer.alloc(8192, 1);
  const times = [];
  try {
    for (let i = 0; i < 200; i++) {
      const start = performance.now();
      writeSync(fd, block, 0, block.length, (i % 16) * block.length);
      fdatasyncSync(fd);
      times.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const { p50, p99 } = summarize(times);
  return { p50Ms: Math.round(p50 * 1000) / 1000, p99Ms: Math.round(p99 * 1000) / 1000 };
}

export function machineFacts() {
  const cpus = os.cpus();
  const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no');
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
    fsync: fsyncLatency(),
    webhooker: `${version}${commit ? ` @ ${commit}${dirty ? '+changes' : ''}` : ''}`,
  };
}

export function describeMachine(machine, postgresVersion, memoryLimitMb) {
  return (
    `${machine.cpuModel}, ${machine.cores} cores, ${(machine.ramBytes / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `${machine.os}, Node ${machine.node}, PostgreSQL ${postgresVersion ?? '?'} (embedded, durable; ` +
    `8 KiB write + fdatasync p50 ${machine.fsync.p50Ms} ms), webhooker ${machine.webhooker}` +
    (memoryLimitMb ? ` in a memory cgroup of ${memoryLimitMb} MB (with its PostgreSQL)` : '')
  );
}

const integer = (n) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ');
const ms = (n) => `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} ms`;
const mb = (bytes) => `${Math.round(bytes / 2 ** 20)} MB`;
const pct = (n) => `${Math.round(n * 100)} %`;

function verdict(value, ok) {
  if (value === undefined) return 'VOID';
  return ok ? 'PASS' : 'MISS';
}

function runsCell(runs) {
  const valid = runs.filter((r) => r.valid);
  const disturbed = valid.filter((r) => r.disturbed).length;
  return `${valid.length}/${runs.length}${disturbed ? ` (${disturbed} disturbed)` : ''}`;
}

/** Rows of the table from the per-scenario medians. */
export function tableRows(scenarios, settings) {
  const rows = [];
  const add = (scenario, measure, value, format, target = '—', result = '', ratio) => {
    const entry = scenarios[scenario];
    if (!entry) return;
    rows.push({
      scenario,
      measure,
      value: value === undefined ? 'VOID' : format(value),
      ratio: ratio === undefined ? '' : `${ratio.toFixed(2)} ×`,
      runs: runsCell(entry.runs),
      target,
      result,
    });
  };
  const m = (name) => scenarios[name]?.median ?? {};
  /** The send reference's rate in a delivering scenario's rounds, and the scenario's share of it. */
  const addSendReference = (scenario, medians) => {
    add(
      scenario,
      'send reference: the same deliveries, nothing stored',
      medians.sendRefRate,
      (n) => `${integer(n)} /s`,
    );
    add(scenario, 'share of the send reference', medians.sendShare, pct);
    add(
      scenario,
      'record reference: the same deliveries, each with one durable attempt row',
      medians.recordRefRate,
      (n) => `${integer(n)} /s`,
    );
    add(scenario, 'share of the record reference', medians.recordShare, pct);
  };
  const addQueueReference = (scenario, medians) => {
    add(
      scenario,
      `queue reference: the event flow alone (event and delivery rows${scenario === 'api' ? '' : ', send, attempt row'})`,
      medians.queueRefRate,
      (n) => `${integer(n)} /s`,
    );
    add(scenario, 'share of the queue reference', medians.queueShare, pct);
  };
  const seconds = `${settings.durationMs / 1000} s`;

  const ref = m('reference');
  const refName = `Reference: bare node:http, 1 KiB JSON POST, 100 connections, ${seconds}`;
  add('reference', 'requests/s', ref.rate, (n) => `${integer(n)} /s`);
  add('reference', 'latency p50', ref.p50, ms);
  add('reference', 'latency p99', ref.p99, ms);

  const api = m('api');
  add(
    'api',
    'events/s',
    api.rate,
    (n) => `${integer(n)} /s`,
    `≥ ${TARGETS.apiShareOfDurable} ×`,
    verdict(api.ratio, api.ratio >= TARGETS.apiShareOfDurable),
    api.ratio,
  );
  add('api', 'latency p50', api.p50, ms, '—', '', api.p50Ratio);
  add('api', 'latency p99', api.p99, ms, '—', '', api.p99Ratio);
  add('api', 'durable reference (adjacent rounds)', api.refRate, (n) => `${integer(n)} /s`);
  addQueueReference('api', api);

  const ing = m('ingest');
  add(
    'ingest',
    'events/s',
    ing.rate,
    (n) => `${integer(n)} /s`,
    `≥ ${TARGETS.ingestShareOfDurable} ×`,
    verdict(ing.ratio, ing.ratio >= TARGETS.ingestShareOfDurable),
    ing.ratio,
  );
  add('ingest', 'latency p50', ing.p50, ms, '—', '', ing.p50Ratio);
  add('ingest', 'latency p99', ing.p99, ms, '—', '', ing.p99Ratio);
  add('ingest', 'durable reference (adjacent rounds)', ing.refRate, (n) => `${integer(n)} /s`);
  if (ing.rate !== undefined && ref.rate !== undefined) {
    add('ingest', 'share of the bare reference', ing.rate / ref.rate, pct);
  }
  add('ingest', 'send reference, 1 target (adjacent rounds)', ing.sendRefRate, (n) => `${integer(n)} /s`);
  add(
    'ingest',
    'bound: a durable commit + a send per event, 1 / (1/durable + 1/send)',
    ing.boundRate,
    (n) => `${integer(n)} /s`,
    '—',
    '',
    ing.boundRatio,
  );
  add('ingest', 'share of that bound', ing.sendShare, pct);
  addQueueReference('ingest', ing);

  const ver = m('verified');
  add('verified', 'events/s', ver.rate, (n) => `${integer(n)} /s`);
  if (ver.rate !== undefined && ing.rate !== undefined) {
    const share = ver.rate / ing.rate;
    add(
      'verified',
      'share of ingest',
      share,
      pct,
      `≥ ${pct(TARGETS.verifiedShareOfIngest)}`,
      verdict(share, share >= TARGETS.verifiedShareOfIngest),
    );
  }
  add('verified', 'latency p50', ver.p50, ms);
  add('verified', 'latency p99', ver.p99, ms);
  const dedup = m('dedup');
  add('dedup', 'events/s', dedup.rate, (n) => `${integer(n)} /s`);
  if (dedup.rate !== undefined && ing.rate !== undefined) {
    const share = dedup.rate / ing.rate;
    add(
      'dedup',
      'share of ingest',
      share,
      pct,
      `≥ ${pct(TARGETS.dedupShareOfIngest)}`,
      verdict(share, share >= TARGETS.dedupShareOfIngest),
    );
  }
  add('dedup', 'latency p50', dedup.p50, ms);
  add('dedup', 'latency p99', dedup.p99, ms);

  const filters = m('filters');
  add('filters', 'events/s without filters', filters.unfilteredRate, (n) => `${integer(n)} /s`);
  add('filters', 'events/s with filters', filters.rate, (n) => `${integer(n)} /s`);
  add(
    'filters',
    'share without → with',
    filters.share,
    pct,
    `≥ ${pct(TARGETS.filtersShare)}`,
    verdict(filters.share, filters.share >= TARGETS.filtersShare),
  );

  const lat = m('latency');
  add(
    'latency',
    'ingest → sink p50',
    lat.p50,
    ms,
    `≤ ${TARGETS.latencyP50Ms} ms`,
    verdict(lat.p50, lat.p50 <= TARGETS.latencyP50Ms),
    lat.p50Ratio,
  );
  add(
    'latency',
    'ingest → sink p99',
    lat.p99,
    ms,
    `≤ ${TARGETS.latencyP99Ms} ms`,
    verdict(lat.p99, lat.p99 <= TARGETS.latencyP99Ms),
    lat.p99Ratio,
  );
  add('latency', 'durable reference: request → commit p50', lat.refP50, ms);
  add('latency', 'durable reference: request → commit p99', lat.refP99, ms);

  const fan = m('fanout');
  add(
    'fanout',
    'deliveries/s',
    fan.rate,
    (n) => `${integer(n)} /s`,
    `≥ ${integer(TARGETS.fanoutRate)} /s`,
    verdict(fan.rate, fan.rate >= TARGETS.fanoutRate),
    fan.ratio,
  );
  addSendReference('fanout', fan);
  addQueueReference('fanout', fan);

  const tr = m('transforms');
  add('transforms', 'deliveries/s without transforms', tr.untransformedRate, (n) => `${integer(n)} /s`);
  add('transforms', 'deliveries/s with transforms', tr.rate, (n) => `${integer(n)} /s`);
  add(
    'transforms',
    'share without → with',
    tr.transformShare,
    pct,
    `≥ ${pct(TARGETS.transformsShare)}`,
    verdict(tr.transformShare, tr.transformShare >= TARGETS.transformsShare),
  );
  add(
    'transforms',
    'sandbox run p50 (1 KiB JSON)',
    tr.sandboxP50,
    ms,
    `≤ ${TARGETS.sandboxP50Ms} ms`,
    verdict(tr.sandboxP50, tr.sandboxP50 <= TARGETS.sandboxP50Ms),
  );
  add('transforms', 'sandbox run p99', tr.sandboxP99, ms);

  const dr = m('drain');
  add(
    'drain',
    'deliveries/s',
    dr.rate,
    (n) => `${integer(n)} /s`,
    `≥ ${integer(TARGETS.drainRate)} /s`,
    verdict(dr.rate, dr.rate >= TARGETS.drainRate),
    dr.ratio,
  );
  addSendReference('drain', dr);

  const names = ['api', 'ingest', 'verified', 'dedup', 'filters', 'latency', 'fanout', 'transforms', 'drain'];
  for (const name of names) {
    const { peakRssBytes: rss, setupPeakRssBytes: setupRss } = m(name);
    const peak = Math.max(rss ?? 0, setupRss ?? 0);
    add(
      name,
      'peak RSS (VmHWM) under load (before it: start-up and set-up)',
      rss,
      (bytes) => (setupRss === undefined ? mb(bytes) : `${mb(bytes)} (${mb(setupRss)})`),
      `≤ ${TARGETS.peakRssMb} MB`,
      verdict(rss, peak <= TARGETS.peakRssMb * 2 ** 20),
      m(name).rssRatio,
    );
  }

  const titles = {
    reference: refName,
    api: `Ingest only (\`ROLE=api\`, nothing delivered): 1 \`http\` target, same load`,
    ingest: `Ingest while delivering: 1 \`http\` target, same load`,
    verified: `Verified ingest: the same, GitHub preset (HMAC-SHA256), signed by the load generator`,
    dedup: `Ingest with dedup on (header key, unique per request): 1 \`http\` target, same load`,
    filters: `Ingest with filters: 10 \`http\` targets, each without then with a filter, same load`,
    latency: `Latency: 1 \`http\` target, ${integer(settings.latencyRate ?? 0)} events/s paced (½ ingest)`,
    fanout: `Fan-out: 10 \`http\` targets, ${integer(settings.fanoutEvents)} events`,
    transforms: `Transforms: the fan-out without, then with a transform on each target`,
    drain: `Drain: backlog of ${integer(settings.backlogEvents * 10)} deliveries after a restart`,
  };
  return rows.map((row) => ({ ...row, scenario: titles[row.scenario] }));
}

export function markdownTable(rows, runs) {
  const header = [
    'Scenario',
    'Measure',
    `Median of ${runs}`,
    '× durable reference',
    'Valid runs',
    'Target',
    'Result',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 2 || i === 3 ? '---:' : '---')).join('|')}|`,
  ];
  let previous;
  for (const row of rows) {
    const scenario = row.scenario === previous ? '' : row.scenario;
    previous = row.scenario;
    const cells = [scenario, row.measure, row.value, row.ratio, row.runs, row.target, row.result];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** "webhooker 0.63, postgres 0.70, …" from a CPU meter's cores per group. */
function coreList(cores = {}) {
  return Object.entries(cores)
    .map(([group, n]) => `${group} ${n.toFixed(2)}`)
    .join(', ');
}

/** One line per run while the bench goes. */
export function runLine(name, index, runs, run) {
  const m = run.metrics ?? {};
  const parts = [];
  if (m.rate !== undefined) parts.push(`${integer(m.rate)} /s`);
  if (m.share !== undefined) parts.push(`(${integer(m.unfilteredRate)} /s without filters: ${pct(m.share)})`);
  if (m.transformShare !== undefined) {
    parts.push(
      `(${integer(m.untransformedRate)} /s without transforms: ${pct(m.transformShare)}; sandbox run p50 ${ms(m.sandboxP50)})`,
    );
  }
  if (m.p50 !== undefined) parts.push(`p50 ${ms(m.p50)}`);
  if (m.p99 !== undefined) parts.push(`p99 ${ms(m.p99)}`);
  if (m.peakRssBytes !== undefined) {
    const setup = m.setupPeakRssBytes === undefined ? '' : ` (set-up ${mb(m.setupPeakRssBytes)})`;
    parts.push(`peak RSS ${mb(m.peakRssBytes)}${setup}`);
  }
  if (m.refRate !== undefined) {
    parts.push(`[durable reference ${integer(m.refRate)} /s p50 ${ms(m.refP50)} p99 ${ms(m.refP99)}`);
    if (m.ratio !== undefined) parts.push(`ratio ${m.ratio.toFixed(2)}]`);
    else parts[parts.length - 1] += ']';
  }
  if (m.sendRefRate !== undefined) {
    const cores = coreList(run.details.sendReference.cpuCores);
    const share =
      m.boundRate !== undefined ? `bound ${integer(m.boundRate)} /s` : `share ${pct(m.sendShare)}`;
    parts.push(`[send reference ${integer(m.sendRefRate)} /s (${cores})  ${share}]`);
  }
  if (m.recordRefRate !== undefined) {
    const cores = coreList(run.details.recordReference.cpuCores);
    parts.push(`[record reference ${integer(m.recordRefRate)} /s (${cores})  share ${pct(m.recordShare)}]`);
  }
  if (m.queueRefRate !== undefined) {
    const cores = coreList(run.details.queueReference.cpuCores);
    parts.push(`[queue reference ${integer(m.queueRefRate)} /s (${cores})  share ${pct(m.queueShare)}]`);
  }
  const cpu = run.details?.cpuCores;
  if (cpu) {
    parts.push(`CPU cores: ${coreList(cpu)}`);
  }
  const status = run.valid
    ? run.disturbed
      ? 'ok (disturbed by other work)'
      : 'ok'
    : `VOID: ${run.reasons.join('; ')}`;
  return `  [${name} ${index}/${runs}] ${parts.join('  ')}  ${status}`;
}
