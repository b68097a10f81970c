import releaseSyncVariant from '@jitl/quickjs-wasmfile-release-sync';
import { performance } from 'node:perf_hooks';
import {
  newQuickJSWASMModuleFromVariant,
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSSyncVariant,
  QuickJSWASMModule,
} from 'quickjs-emscripten-core';

/**
 * The release build with its .wasm file beside it, its module loaded with require (the package
 * loads it with a dynamic import, which neither CommonJS tooling such as jest nor older bundlers
 * follow).
 */
const ENGINE_VARIANT: QuickJSSyncVariant = {
  ...releaseSyncVariant,
  importModuleLoader: async () =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@jitl/quickjs-wasmfile-release-sync/emscripten-module'),
};

/** Limits of every run of a transform. */
export interface TransformLimits {
  /** CPU time of one run (and of compiling), ms. */
  timeoutMs: number;
  /** Memory of one compiled transform's runtime, bytes. */
  memoryBytes: number;
  /** Largest body a transform may return, bytes. */
  maxBodyBytes: number;
}

/** The guest's stack at most: deep enough for ordinary recursion, far from overflowing the host's. */
const STACK_BYTES = 256 * 1024;
/** Console output kept per run: lines, characters per line, characters in all. */
export const MAX_LOG_LINES = 50;
export const MAX_LOG_LINE_CHARS = 1000;
const MAX_LOG_CHARS = 16 * 1024;
/** Headers a transform may return at most, and their size in all. */
const MAX_HEADERS = 100;
const MAX_HEADER_BYTES = 32 * 1024;
const MAX_PATH_CHARS = 2048;
/** The methods a target sends with (as HTTP_METHODS of targets). */
const SENDABLE_METHODS = ['POST', 'PUT', 'PATCH'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SOURCE_NAME = 'transform.js';

/**
 * Evaluated before the user's code: a console that keeps bounded lines in the guest (no host
 * function is ever exposed). Its value takes the lines of the run.
 */
const PRELUDE = `(() => {
  const stringify = JSON.stringify;
  let lines = [], size = 0, dropped = 0;
  const format = (value) => {
    if (typeof value === 'string') return value;
    try { const text = stringify(value); return text === undefined ? String(value) : text; }
    catch { return String(value); }
  };
  const write = (level) => (...args) => {
    if (lines.length >= ${MAX_LOG_LINES} || size >= ${MAX_LOG_CHARS}) { dropped++; return; }
    let line = level + args.map(format).join(' ');
    if (line.length > ${MAX_LOG_LINE_CHARS}) line = line.slice(0, ${MAX_LOG_LINE_CHARS}) + '…';
    lines.push(line);
    size += line.length;
  };
  globalThis.console = { log: write(''), info: write(''), debug: write(''), warn: write('[warn] '), error: write('[error] ') };
  return () => {
    const taken = lines;
    if (dropped > 0) taken.push('… ' + dropped + ' more line(s) not kept');
    lines = []; size = 0; dropped = 0;
    return stringify(taken);
  };
})()`;

/**
 * Evaluated after the user's code: calls `handler` with the request and answers JSON (or 'null'
 * to skip). A body returned unchanged comes back as null so the original bytes are sent.
 */
const RUNNER = `(() => {
  'use strict';
  if (typeof handler !== 'function') return undefined;
  const user = handler, parse = JSON.parse, stringify = JSON.stringify, isArray = Array.isArray;
  return (meta, bodyText, json) => {
    const request = parse(meta);
    request.body = bodyText;
    if (json) {
      try { request.body = parse(bodyText); } catch { json = false; }
    }
    const result = user(request);
    if (result === null) return 'null';
    if (result === undefined) return stringify({ invalid: 'undefined' });
    if (typeof result !== 'object') return stringify({ invalid: 'a ' + typeof result });
    if (isArray(result)) return stringify({ invalid: 'an array' });
    if (typeof result.then === 'function') return stringify({ invalid: 'a Promise (handler must not be async)' });
    const body = result.body;
    let text = null, kind = 'text';
    if (typeof body === 'string') { if (body !== bodyText) text = body; }
    else if (body === undefined || body === null) text = '';
    else {
      kind = 'json';
      text = stringify(body);
      if (text === undefined) return stringify({ invalidBody: typeof body });
      if (json && text === stringify(parse(bodyText))) text = null;
    }
    return stringify({ method: result.method, path: result.path, query: result.query, headers: result.headers, body: text, bodyKind: kind });
  };
})()`;

/** The request handed to a transform (its body as text, parsed in the guest when JSON). */
export interface TransformInput {
  method: string;
  path: string;
  query: unknown;
  headers: Record<string, string>;
  bodyText: string;
  bodyIsJson: boolean;
}

export type TransformQuery = Array<[string, string]>;

/**
 * What a transform returned, checked. `method`, `path` and `query` are undefined when the handler
 * left them as received; `body` is null when it left the body as received.
 */
export interface TransformedRequest {
  method?: string;
  path?: string;
  query?: TransformQuery;
  headers: Record<string, string>;
  body: string | null;
  bodyIsJson: boolean;
}

export type TransformResult =
  | { kind: 'request'; request: TransformedRequest; logs: string[] }
  | { kind: 'skip'; logs: string[] }
  | { kind: 'error'; error: string; logs: string[] };

/** The source does not compile (or has no `handler`): the message names the line when it can. */
export class TransformSyntaxError extends Error {}

interface GuestError {
  name?: string;
  message?: string;
  stack?: string;
  lineNumber?: number;
}

/** Loads the QuickJS WebAssembly engine once; compiles transforms in it. */
export class TransformSandbox {
  private constructor(
    private readonly engine: QuickJSWASMModule,
    readonly limits: TransformLimits,
  ) {}

  static async load(limits: TransformLimits): Promise<TransformSandbox> {
    return new TransformSandbox(await newQuickJSWASMModuleFromVariant(ENGINE_VARIANT), limits);
  }

  /** Compiles `source` in a runtime of its own (with `limits`, by default the sandbox's); throws TransformSyntaxError. */
  compile(source: string, limits = this.limits): CompiledTransform {
    return new CompiledTransform(this.engine, source, limits);
  }
}

/** The pieces of a live runtime holding a compiled transform. */
interface Live {
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  runner: QuickJSHandle;
  takeLogs: QuickJSHandle;
}

/**
 * One transform compiled in its own QuickJS runtime (memory limit, stack limit, CPU deadline by
 * interrupt), reused from run to run. A run that failed disposes the runtime: the next run
 * compiles afresh, so an interrupted or out-of-memory run never leaves a broken one behind.
 */
export class CompiledTransform {
  private live: Live | null;
  private deadline = Infinity;

  constructor(
    private readonly engine: QuickJSWASMModule,
    readonly source: string,
    private readonly limits: TransformLimits,
  ) {
    this.live = this.start();
  }

  /** Runs the handler on `input`; never throws. */
  run(input: TransformInput): TransformResult {
    let live: Live;
    try {
      live = this.live ?? (this.live = this.start());
    } catch (error) {
      return { kind: 'error', error: (error as Error).message, logs: [] };
    }
    const { context } = live;
    const meta = JSON.stringify({
      method: input.method,
      path: input.path,
      query: input.query,
      headers: input.headers,
    });
    let answer: string | undefined;
    let failure: string | undefined;
    try {
      this.deadline = performance.now() + this.limits.timeoutMs;
      const args = [context.newString(meta), context.newString(input.bodyText)];
      const call = context.callFunction(
        live.runner,
        context.undefined,
        ...args,
        input.bodyIsJson ? context.true : context.false,
      );
      for (const arg of args) arg.dispose();
      if (call.error) {
        failure = this.describe(context.dump(call.error));
        call.error.dispose();
      } else {
        answer = context.getString(call.value);
        call.value.dispose();
      }
    } catch (error) {
      failure = `sandbox failure: ${(error as Error).message}`;
    }
    const logs = this.takeLogs(live);
    if (failure !== undefined) {
      this.dispose();
      return { kind: 'error', error: failure, logs };
    }
    if (answer === 'null') return { kind: 'skip', logs };
    try {
      return { kind: 'request', request: this.check(JSON.parse(answer!), input), logs };
    } catch (error) {
      return { kind: 'error', error: (error as Error).message, logs };
    }
  }

  /** Frees the runtime (a later run compiles again). */
  dispose(): void {
    const live = this.live;
    this.live = null;
    if (!live) return;
    try {
      live.runner.dispose();
      live.takeLogs.dispose();
      live.context.dispose();
      live.runtime.dispose();
    } catch {
      // a runtime left inconsistent by its failure may refuse to be freed; it is dropped all the same
    }
  }

  private start(): Live {
    const runtime = this.engine.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(STACK_BYTES);
    runtime.setInterruptHandler(() => performance.now() > this.deadline);
    const context = runtime.newContext();
    const handles: QuickJSHandle[] = [];
    try {
      this.deadline = performance.now() + this.limits.timeoutMs;
      handles.push(this.evaluate(context, PRELUDE, 'prelude.js'));
      this.evaluate(context, this.source, SOURCE_NAME).dispose();
      const runner = this.evaluate(context, RUNNER, 'runner.js');
      handles.push(runner);
      if (context.typeof(runner) !== 'function') {
        throw new TransformSyntaxError('the transform must define function handler(request)');
      }
      return { runtime, context, takeLogs: handles[0]!, runner };
    } catch (error) {
      for (const handle of handles) handle.dispose();
      try {
        context.dispose();
        runtime.dispose();
      } catch {
        // see dispose()
      }
      throw error;
    }
  }

  private evaluate(context: QuickJSContext, code: string, name: string): QuickJSHandle {
    const result = context.evalCode(code, name);
    if (!result.error) return result.value;
    const error = context.dump(result.error) as GuestError;
    result.error.dispose();
    throw new TransformSyntaxError(this.describe(error));
  }

  private takeLogs(live: Live): string[] {
    try {
      this.deadline = performance.now() + this.limits.timeoutMs;
      const result = live.context.callFunction(live.takeLogs, live.context.undefined);
      if (result.error) {
        result.error.dispose();
        return [];
      }
      const logs = JSON.parse(live.context.getString(result.value)) as string[];
      result.value.dispose();
      return logs.slice(0, MAX_LOG_LINES + 1).map((line) => String(line).slice(0, MAX_LOG_LINE_CHARS + 1));
    } catch {
      return [];
    }
  }

  /** A guest error as one line: `TypeError: x is undefined (line 3)`. */
  private describe(error: unknown): string {
    if (typeof error !== 'object' || error === null) return `uncaught ${JSON.stringify(error)}`.slice(0, 500);
    const { name, message, stack, lineNumber } = error as GuestError;
    if (name === 'InternalError' && message === 'interrupted')
      return `interrupted after ${this.limits.timeoutMs} ms`;
    if (name === 'InternalError' && message === 'out of memory')
      return `out of memory (limit ${this.limits.memoryBytes / 1_048_576} MiB)`;
    const line = lineNumber ?? Number(new RegExp(`${SOURCE_NAME}:(\\d+)`).exec(stack ?? '')?.[1]);
    const text = `${name ?? 'Error'}: ${message ?? ''}`.slice(0, 500);
    return Number.isFinite(line) && line > 0 ? `${text} (line ${line})` : text;
  }

  /** Checks the shape the guest returned; an error names the field at fault. */
  private check(value: Record<string, unknown>, input: TransformInput): TransformedRequest {
    if ('invalid' in value)
      throw new Error(
        `handler returned ${String(value.invalid)}; return the request to send, or null to skip`,
      );
    if ('invalidBody' in value)
      throw new Error(`body must be a string or JSON, not a ${String(value.invalidBody)}`);
    const request: TransformedRequest = {
      headers: checkHeaders(value.headers),
      body: value.body as string | null,
      bodyIsJson: value.bodyKind === 'json',
    };
    if (request.body !== null && Buffer.byteLength(request.body) > this.limits.maxBodyBytes)
      throw new Error(`body is larger than ${this.limits.maxBodyBytes} bytes`);
    if (value.method !== undefined && value.method !== input.method) {
      const method = typeof value.method === 'string' ? value.method.toUpperCase() : '';
      if (!SENDABLE_METHODS.includes(method))
        throw new Error(`method must be one of ${SENDABLE_METHODS.join(', ')}`);
      request.method = method;
    }
    if (value.path !== undefined && value.path !== input.path) {
      if (typeof value.path !== 'string' || value.path.length > MAX_PATH_CHARS || /[?#\s]/.test(value.path))
        throw new Error(
          `path must be a string of at most ${MAX_PATH_CHARS} characters without "?", "#" or spaces`,
        );
      request.path = value.path;
    }
    if (value.query !== undefined && JSON.stringify(value.query) !== JSON.stringify(input.query)) {
      request.query = checkQuery(value.query);
    }
    return request;
  }
}

function checkHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('headers must be an object');
  const headers: Record<string, string> = {};
  let size = 0;
  const entries = Object.entries(value);
  if (entries.length > MAX_HEADERS) throw new Error(`headers: at most ${MAX_HEADERS} headers`);
  for (const [name, raw] of entries) {
    if (!TOKEN.test(name)) throw new Error(`headers: "${name.slice(0, 100)}" is not a valid header name`);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
      throw new Error(`headers["${name}"] must be a string`);
    const text = String(raw);
    if (/[\r\n\0]/.test(text)) throw new Error(`headers["${name}"] must not contain line breaks or NUL`);
    size += name.length + text.length;
    headers[name.toLowerCase()] = text;
  }
  if (size > MAX_HEADER_BYTES) throw new Error(`headers are larger than ${MAX_HEADER_BYTES} bytes in all`);
  return headers;
}

function checkQuery(value: unknown): TransformQuery {
  if (typeof value === 'string') return [...new URLSearchParams(value)];
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error('query must be an object of parameters or a query string');
  const pairs: TransformQuery = [];
  for (const [name, raw] of Object.entries(value)) {
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      if (item === null || typeof item === 'object')
        throw new Error(`query["${name}"] must be a string or an array of strings`);
      pairs.push([name, String(item)]);
    }
  }
  return pairs;
}
