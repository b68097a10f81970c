#!/usr/bin/env node
/* global process, fetch, console */
/**
 * webhooker: keep webhooker's configuration in a file and converge on it, like `terraform plan/apply`.
 *
 *   webhooker plan   -f webhooker.yaml [--prune] [--json]   exit 0: nothing to do, 2: changes, 1: error
 *   webhooker apply  -f webhooker.yaml [--prune] [--json]   exit 0: applied (or nothing to do), 1: error
 *   webhooker export [--format yaml|json]                   the current configuration on stdout
 *
 * Reads WEBHOOKER_URL and WEBHOOKER_API_KEY. `${NAME}` in the file is replaced by the environment
 * variable NAME before the document is sent, so secrets stay out of the file. Needs Node 20+ and
 * the `yaml` package.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

const USAGE = `usage: webhooker plan -f FILE [--prune] [--json]
       webhooker apply -f FILE [--prune] [--json]
       webhooker export [--format yaml|json]
environment: WEBHOOKER_URL, WEBHOOKER_API_KEY`;

/** An error that ends the run with exit code 1 and this message. */
class CliError extends Error {}

/** The command and its options from argv; a CliError for anything it does not know. */
function parseArgs(argv) {
  const [command, ...rest] = argv;
  if (!['plan', 'apply', 'export'].includes(command)) throw new CliError(USAGE);
  const options = { command, file: undefined, prune: false, json: false, format: 'yaml' };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if ((arg === '-f' || arg === '--file') && command !== 'export') options.file = rest[++i];
    else if (arg === '--prune' && command !== 'export') options.prune = true;
    else if (arg === '--json' && command !== 'export') options.json = true;
    else if (arg === '--format' && command === 'export') options.format = rest[++i];
    else throw new CliError(`unknown option ${arg}\n${USAGE}`);
  }
  if (command !== 'export' && !options.file) throw new CliError(`${command} needs -f FILE\n${USAGE}`);
  if (!['yaml', 'json'].includes(options.format)) throw new CliError('--format must be yaml or json');
  return options;
}

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new CliError(`${name} is not set`);
  return value;
}

/** Every `${NAME}` in the document's strings replaced by the environment variable NAME. */
function resolvePlaceholders(value, path) {
  if (typeof value === 'string') {
    return value.replace(/\$\{([^}]*)\}/g, (_match, name) => {
      const resolved = process.env[name];
      if (resolved === undefined)
        throw new CliError(`${name} is not set (used at ${path || 'the document'})`);
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => resolvePlaceholders(item, `${path}[${index}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolvePlaceholders(item, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}

function readDocument(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${error.message}`);
  }
  let document;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new CliError(`${file} is not valid YAML or JSON: ${error.message}`);
  }
  return resolvePlaceholders(document, '');
}

/** Calls the API; the parsed answer, or a CliError with the problem's detail and each field at fault. */
async function call(method, path, body) {
  const baseUrl = requiredEnv('WEBHOOKER_URL').replace(/\/+$/, '');
  const apiKey = requiredEnv('WEBHOOKER_API_KEY');
  let response;
  try {
    response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    throw new CliError(`cannot reach ${baseUrl}: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  if (response.ok) return text;
  let problem;
  try {
    problem = JSON.parse(text);
  } catch {
    problem = undefined;
  }
  const fields = (problem?.errors ?? []).map((error) => `\n  ${error.field}: ${error.message}`).join('');
  throw new CliError(`HTTP ${response.status}: ${problem?.detail ?? text}${fields}`);
}

/** Text painted when stdout is a terminal (and NO_COLOR is unset). */
function painter(stream) {
  const on = stream.isTTY && !process.env.NO_COLOR;
  const paint = (code) => (text) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { green: paint(32), yellow: paint(33), red: paint(31), bold: paint(1) };
}

/** A field's value as shown; header values are secrets and are masked. */
function show(field, value) {
  if (field === 'http.headers' && value && typeof value === 'object') {
    return JSON.stringify(Object.fromEntries(Object.keys(value).map((name) => [name, '(sensitive)'])));
  }
  return JSON.stringify(value);
}

/** The changes as a `terraform plan`-like diff. */
function describeChanges(changes, colours) {
  const marks = { create: ['+', colours.green], update: ['~', colours.yellow], delete: ['-', colours.red] };
  const lines = [];
  for (const change of changes) {
    const [mark, paint] = marks[change.action];
    const address = change.kind === 'webhook' ? change.key : `${change.webhook}/${change.key}`;
    lines.push(paint(`${mark} ${change.kind} ${address}`));
    for (const field of change.fields) {
      const value =
        change.action === 'create'
          ? show(field.field, field.after)
          : change.action === 'delete'
            ? show(field.field, field.before)
            : `${show(field.field, field.before)} -> ${show(field.field, field.after)}`;
      lines.push(`    ${field.field}: ${value}`);
    }
  }
  return lines.join('\n');
}

function counts(changes) {
  const count = (action) => changes.filter((change) => change.action === action).length;
  return { create: count('create'), update: count('update'), delete: count('delete') };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const colours = painter(process.stdout);
  if (options.command === 'export') {
    process.stdout.write(await call('GET', `/config/export?format=${options.format}`));
    return 0;
  }
  const document = readDocument(options.file);
  const query = options.prune ? '?prune=true' : '';
  const result = JSON.parse(await call('POST', `/config/${options.command}${query}`, document));
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
  } else if (result.changes.length === 0) {
    console.log(
      options.command === 'plan'
        ? 'No changes: the configuration matches the document.'
        : 'Apply complete: nothing to change.',
    );
  } else {
    const { create, update, delete: deleted } = counts(result.changes);
    console.log(describeChanges(result.changes, colours));
    console.log(
      colours.bold(
        options.command === 'plan'
          ? `\nPlan: ${create} to create, ${update} to update, ${deleted} to delete.`
          : `\nApply complete: ${create} created, ${update} updated, ${deleted} deleted.`,
      ),
    );
  }
  if (options.command === 'apply' && !options.json) {
    for (const entrypoint of result.entrypoints) {
      console.log(`entrypoint ${entrypoint.webhook}/${entrypoint.key}: ${entrypoint.url}`);
    }
  }
  return options.command === 'plan' && result.changes.length > 0 ? 2 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`webhooker: ${error.message}`);
  process.exitCode = 1;
}
