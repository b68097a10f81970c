// Summarises V8 CPU profiles (`node bench/run.mjs --cpu-prof` writes them to
// bench/results/profiles/<scenario>-<run>/) by where the time went: the share of webhooker's
// busy CPU time in each stage, by the file of the function on top of the stack (self time).
//
//   node bench/profile-summary.mjs <folder or .cpuprofile>...
import console from 'node:console';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** Stage of a frame, by its file (first match wins). */
const STAGES = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['ingest: route, filters, capture (ingest/, routing/)', (f) => /\/(ingest|routing)\//.test(f.url)],
  ['delivery engine: hand-off, lanes, results (delivery/)', (f) => /\/delivery\//.test(f.url)],
  [
    'PostgreSQL client (pg, pg-protocol)',
    (f) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//.test(f.url),
  ],
  ['TypeORM', (f) => /node_modules\/typeorm\//.test(f.url)],
  ['outgoing HTTP (undici)', (f) => /node_modules\/undici\/|node:internal\/deps\/undici/.test(f.url)],
  [
    'incoming HTTP (node:http, Nest/Express)',
    (f) =>
      /node:_http|node:internal\/http|_http_|node_modules\/(express|@nestjs|body-parser|router|finalhandler|raw-body)/.test(
        f.url,
      ),
  ],
  ['other webhooker code', (f) => /dist\/apps\/api\//.test(f.url)],
  ['other libraries', (f) => /node_modules\//.test(f.url)],
  ['node internals and native (sockets, streams, timers, program)', () => true],
];

function files(args) {
  return args.flatMap((arg) =>
    statSync(arg).isDirectory()
      ? readdirSync(arg)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => path.join(arg, name))
      : [arg],
  );
}

const totals = new Map(STAGES.map(([name]) => [name, 0]));
for (const file of files(process.argv.slice(2))) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const stageOf = new Map(
    profile.nodes.map((node) => [node.id, STAGES.find(([, test]) => test(node.callFrame))[0]]),
  );
  for (let i = 0; i < profile.samples.length; i++) {
    const stage = stageOf.get(profile.samples[i]);
    totals.set(stage, totals.get(stage) + (profile.timeDeltas[i] ?? 0));
  }
}
const busy = [...totals].filter(([name]) => name !== 'idle').reduce((sum, [, us]) => sum + us, 0);
console.log(`| Stage (self time, by file) | share of busy CPU |\n|---|---:|`);
for (const [name, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  if (name === 'idle') continue;
  console.log(`| ${name} | ${((us / busy) * 100).toFixed(1)} % |`);
}
console.log(`\nbusy ${(busy / 1e6).toFixed(1)} s, idle ${(totals.get('idle') / 1e6).toFixed(1)} s`);
