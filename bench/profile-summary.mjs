// Summarises V8 CPU profiles (`node bench/run.mjs --cpu-prof` writes them to
// bench/results/profiles/<scenario>-<run>/) by stage: each sample of webhooker's busy time goes to
// the innermost webhooker module on its stack (ingest handler, ingest write, engine, sender, result
// writer), or, with none, to the library or runtime part on top of the stack.
//
//   node bench/profile-summary.mjs <folder or .cpuprofile>...
import console from 'node:console';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** Stages found on the stack, innermost frame first (the first frame that matches one wins). */
const STACK_STAGES = [
  [
    'parse: request, route, filters, capture',
    /dist\/apps\/api\/(ingest\/ingest\.handler|ingest\/route-cache|ingest\/captured-headers|routing\/)/,
  ],
  ['commit: the event batch (group commit)', /dist\/apps\/api\/(ingest\/ingest\.service|common\/batcher)/],
  ['send: the outgoing request', /dist\/apps\/api\/delivery\/(http-sender|signature)|node_modules\/undici\//],
  ['result write: attempts and delivery states', /dist\/apps\/api\/delivery\/result-writer/],
  ['hand-off: engine, lanes, claims', /dist\/apps\/api\/delivery\//],
  ['PostgreSQL client: reading answers', /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//],
  [
    'incoming HTTP: node:http, Nest/Express',
    /node:_http|_http_|node_modules\/(express|@nestjs|body-parser|router|finalhandler|raw-body|compression)\//,
  ],
  ['other webhooker code and libraries', /dist\/apps\/api\/|node_modules\//],
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

const totals = new Map();
const add = (stage, us) => totals.set(stage, (totals.get(stage) ?? 0) + us);
for (const file of files(process.argv.slice(2))) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageCache = new Map();
  const stageOf = (id) => {
    if (stageCache.has(id)) return stageCache.get(id);
    const name = nodes.get(id).callFrame.functionName;
    let stage;
    if (name === '(idle)') stage = 'idle';
    else if (name === '(garbage collector)') stage = 'garbage collection';
    else {
      for (let at = id; at !== undefined && !stage; at = parent.get(at)) {
        const url = nodes.get(at).callFrame.url;
        stage = STACK_STAGES.find(([, pattern]) => pattern.test(url))?.[0];
      }
      stage ??= 'runtime: sockets, timers, start-up';
    }
    stageCache.set(id, stage);
    return stage;
  };
  for (let i = 0; i < profile.samples.length; i++)
    add(stageOf(profile.samples[i]), profile.timeDeltas[i] ?? 0);
}
const busy = [...totals].filter(([name]) => name !== 'idle').reduce((sum, [, us]) => sum + us, 0);
console.log(`| Stage (webhooker's CPU) | share of busy time |\n|---|---:|`);
for (const [name, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  if (name !== 'idle') console.log(`| ${name} | ${((us / busy) * 100).toFixed(1)} % |`);
}
console.log(`\nbusy ${(busy / 1e6).toFixed(1)} s, idle ${((totals.get('idle') ?? 0) / 1e6).toFixed(1)} s`);
