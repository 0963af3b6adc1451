// `npm run bench` (not part of `npm test`): the figures recorded in docs/PERFORMANCE.md.
//   1. the time to import the Functions entry (dist/functions/index.js) in a fresh `node`, median of runs;
//   2. the time from process start to the first 200 of GET /api/v1/connectors (storage already up);
//   3. autocannon against GET /api/v1/connectors with a valid token on the local host, and against a bare
//      Node `http` server answering the same bytes, in the same run; both servers are child processes and
//      autocannon runs here, so both are measured the same way.
// Environment: BENCH_SECONDS (per measured run, default 5), BENCH_ROUNDS (host/bare pairs, default 3),
// BENCH_CONNECTIONS (default 50), BENCH_IMPORT_RUNS (default 7), BENCH_START_RUNS (default 3),
// BENCH_LOG_LEVEL (the host's LOG_LEVEL; default: the host's own, information),
// BENCH_CPU_PROF (a directory: the host of the throughput runs writes a V8 CPU profile there).
// Exits non-zero only when something fails (a non-2xx, a socket error), never for a missed target.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAzurite } from '../host/azurite';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'dist/functions/index.js');
const HOST_MAIN = join(ROOT, 'dist/host/main.js');
const CATALOG = '/api/v1/connectors';
const BARE_FLAG = '--bare-server';
/** The bare server plus the two @azure/functions objects every handler must be given: the design's ceiling. */
const OBJECTS_FLAG = '--objects-server';

const TARGET_RATIO = 0.5;
const TARGET_IMPORT_MS = 250;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number.`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// The bare server: this same file, run as `node dist/scripts/bench.js --bare-server <body file>`.
// ---------------------------------------------------------------------------------------------------------

function runBareServer(bodyFile: string, withFunctionsObjects = false): void {
  const body = readFileSync(bodyFile);
  const functions = withFunctionsObjects
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports
      (require('@azure/functions') as typeof import('@azure/functions'))
    : undefined;
  const server = createServer((req, res) => {
    if (functions) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      new functions.HttpRequest({
        method: req.method,
        url: `http://localhost${req.url ?? '/'}`,
        headers,
        params: {},
      });
      new functions.InvocationContext({
        invocationId: 'bench',
        functionName: 'bench',
        logHandler: () => undefined,
      });
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`bare server listening on ${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.on('SIGINT', () => server.close(() => process.exit(0)));
}

// ---------------------------------------------------------------------------------------------------------
// Children: every process the bench starts is tracked and killed on exit, SIGINT and SIGTERM.
// ---------------------------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
/** Temporary directories, removed on exit whatever happens. */
const tempDirs: string[] = [];

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** SIGTERM, then SIGKILL if it has not gone in 3 s. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

interface Started {
  child: ChildProcess;
  /** ms from spawn() to the line that matched. */
  readyMs: number;
  match: RegExpExecArray;
  output(): string;
}

/** Spawns `node args…` and waits for a line of its output matching `ready`. */
function startChild(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 30000,
): Promise<Started> {
  const started = performance.now();
  const child = track(spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  // Keep only the tail of the output (for error messages); the host logs one line per request.
  let output = '';
  let matched = false;
  return new Promise<Started>((resolveStart, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${args.join(' ')} did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8192);
      if (matched) return;
      const m = ready.exec(output);
      if (m) {
        matched = true;
        clearTimeout(timer);
        resolveStart({ child, readyMs: performance.now() - started, match: m, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!matched)
        reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** 1. Import time of the Functions entry in a fresh node, measured inside that process. */
async function importTimes(runs: number): Promise<number[]> {
  const probe =
    'const t0 = process.hrtime.bigint();' +
    `require(${JSON.stringify(ENTRY)});` +
    'const t1 = process.hrtime.bigint();' +
    'process.stdout.write("import_ms=" + (Number(t1 - t0) / 1e6) + "\\n");';
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Outside the Functions host @azure/functions warns (test mode) on app.http: stderr is only kept for errors.
    const child = track(spawn(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    const m = /import_ms=([\d.]+)/.exec(out);
    if (code !== 0 || !m) throw new Error(`importing ${ENTRY} failed (exit ${code}):\n${err}`);
    times.push(Number(m[1]));
  }
  return times;
}

interface HostRun {
  started: Started;
  port: number;
}

function hostEnv(
  dataDir: string,
  port: number,
  tables: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    PORT: String(port),
    DATA_DIR: dataDir,
    TABLES_CONNECTION_STRING: tables,
    ...extra,
  };
  if (process.env.BENCH_LOG_LEVEL) env.LOG_LEVEL = process.env.BENCH_LOG_LEVEL;
  return env;
}

async function startHost(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<HostRun> {
  const started = await startChild([...nodeArgs, HOST_MAIN], env, /listening on http:\/\/localhost:(\d+)\//);
  return { started, port: Number(started.match[1]) };
}

async function mintToken(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/.dev-issuer/token`, {
    method: 'POST',
    body: new URLSearchParams({ scope: 'Connectors.Read', expires_in: '3600' }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`the development issuer answered ${res.status}`);
  return body.access_token;
}

async function getCatalog(port: number, token: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${CATALOG}`, { headers: { authorization: `Bearer ${token}` } });
}

/**
 * 2. Process start → first 200. Each run spawns the host on the same port and data directory (so the
 * development issuer's key and authority, and hence the token, stay valid) and asks as soon as it listens.
 */
async function startToFirst200(
  runs: number,
  env: NodeJS.ProcessEnv,
  port: number,
  token: string,
): Promise<{ listening: number[]; first200: number[] }> {
  const listening: number[] = [];
  const first200: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const host = await startHost(env);
    let status = 0;
    let lastError = '';
    while (performance.now() - t0 < 30000) {
      try {
        const res = await getCatalog(port, token);
        status = res.status;
        await res.arrayBuffer();
        if (status === 200) break;
        lastError = `HTTP ${status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const elapsed = performance.now() - t0;
    await stopChild(host.started.child);
    if (status !== 200)
      throw new Error(`no 200 from ${CATALOG} in 30 s (${lastError}):\n${host.started.output()}`);
    listening.push(host.started.readyMs);
    first200.push(elapsed);
  }
  return { listening, first200 };
}

// autocannon 8 ships no types: what this script reads of it.
interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  duration: number;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
}
type Autocannon = (options: AutocannonOptions) => Promise<AutocannonResult>;

interface Load {
  label: string;
  result: AutocannonResult;
}

interface Target {
  label: string;
  url: string;
}

function autocannon(): Autocannon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('autocannon') as Autocannon;
}

function checkLoad({ label, result }: Load): string[] {
  const problems: string[] = [];
  if (result['2xx'] === 0) problems.push(`${label}: no 2xx response`);
  if (result.non2xx > 0) problems.push(`${label}: ${result.non2xx} non-2xx responses`);
  if (result.errors > 0) problems.push(`${label}: ${result.errors} socket errors`);
  if (result.timeouts > 0) problems.push(`${label}: ${result.timeouts} timeouts`);
  return problems;
}

function loadLine(label: string, reqPerSec: number, p50: number, p99: number, tail = ''): string {
  return (
    `${label.padEnd(30)} ${reqPerSec.toFixed(0).padStart(7)} req/s   ` +
    `p50 ${p50.toFixed(0).padStart(3)} ms   p99 ${p99.toFixed(0).padStart(3)} ms${tail}`
  );
}

/**
 * 3. Throughput. Both servers run (idle when not under load); after a warm-up of each (JIT, sockets,
 * the token cache), rounds alternate host and bare so that a slow spell of the machine hits both alike.
 * Figures are medians over the rounds; the ratio is the median of each round's host / bare.
 */
async function throughput(
  host: Target,
  bare: Target,
  seconds: number,
  rounds: number,
  connections: number,
  headers: Record<string, string>,
): Promise<{ host: Load[]; bare: Load[]; ratios: number[] }> {
  const run = async (target: Target, duration: number): Promise<Load> => ({
    label: target.label,
    result: await autocannon()({ url: target.url, connections, duration, headers }),
  });
  const warmUp = Math.min(2, Math.max(1, Math.round(seconds / 5)));
  await run(host, warmUp);
  await run(bare, warmUp);
  const out = { host: [] as Load[], bare: [] as Load[], ratios: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const h = await run(host, seconds);
    const b = await run(bare, seconds);
    out.host.push(h);
    out.bare.push(b);
    out.ratios.push(h.result.requests.average / b.result.requests.average);
  }
  return out;
}

function summary(label: string, loads: Load[]): string {
  return loadLine(
    label,
    median(loads.map((l) => l.result.requests.average)),
    median(loads.map((l) => l.result.latency.p50)),
    median(loads.map((l) => l.result.latency.p99)),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

async function main(): Promise<void> {
  const seconds = intFromEnv('BENCH_SECONDS', 5);
  const connections = intFromEnv('BENCH_CONNECTIONS', 50);
  const importRuns = intFromEnv('BENCH_IMPORT_RUNS', 7);
  const startRuns = intFromEnv('BENCH_START_RUNS', 3);
  const rounds = intFromEnv('BENCH_ROUNDS', 3);
  const cpuProf = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : undefined;

  console.log(
    `Supertrack Connectors benchmark — node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}`.trim(),
  );

  const imports = await importTimes(importRuns);
  const importMs = median(imports);
  console.log(
    `import of dist/functions/index.js   median ${ms(importMs)} (runs: ${imports.map((t) => t.toFixed(0)).join(', ')} ms)`,
  );

  const workDir = mkdtempSync(join(tmpdir(), 'st-bench-'));
  tempDirs.push(workDir);
  const azurite = await startAzurite(undefined);
  try {
    const dataDir = join(workDir, 'data');
    const port = await freePort();
    const env = hostEnv(dataDir, port, azurite.connectionString);

    // A first start creates the development issuer's key in the data directory; its token serves every run.
    const first = await startHost(env);
    const token = await mintToken(port);
    const sample = await getCatalog(port, token);
    const body = Buffer.from(await sample.arrayBuffer());
    await stopChild(first.started.child);
    if (sample.status !== 200)
      throw new Error(`${CATALOG} answered ${sample.status}: ${body.toString('utf8')}`);

    const start = await startToFirst200(startRuns, env, port, token);
    const first200Ms = median(start.first200);
    console.log(
      `process start → listening           median ${ms(median(start.listening))} (runs: ${start.listening.map((t) => t.toFixed(0)).join(', ')} ms)`,
    );
    console.log(
      `process start → first 200           median ${ms(first200Ms)} (runs: ${start.first200.map((t) => t.toFixed(0)).join(', ')} ms)`,
    );

    // Throughput: the host and the bare server, both children, autocannon here.
    const host = await startHost(env, cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []);
    const bodyFile = join(workDir, 'catalog.json');
    writeFileSync(bodyFile, body);
    const bare = await startChild(
      [__filename, BARE_FLAG, bodyFile],
      { PATH: process.env.PATH },
      /listening on (\d+)/,
    );
    const loads = await throughput(
      { label: `host GET ${CATALOG}`, url: `http://127.0.0.1:${port}${CATALOG}` },
      { label: 'bare node http, same JSON', url: `http://127.0.0.1:${bare.match[1]}/` },
      seconds,
      rounds,
      connections,
      { authorization: `Bearer ${token}` },
    );
    // The ceiling of the design: the bare server doing only what every request must do before any of the
    // service's own work, building the HttpRequest and InvocationContext handed to handlers.
    const objects = await startChild(
      [__filename, OBJECTS_FLAG, bodyFile],
      { PATH: process.env.PATH },
      /listening on (\d+)/,
    );
    const ceiling = await throughput(
      { label: 'bare + HttpRequest/InvocationContext', url: `http://127.0.0.1:${objects.match[1]}/` },
      { label: 'bare node http, same JSON', url: `http://127.0.0.1:${bare.match[1]}/` },
      seconds,
      1,
      connections,
      { authorization: `Bearer ${token}` },
    );
    await Promise.all([stopChild(host.started.child), stopChild(bare.child), stopChild(objects.child)]);

    console.log(
      `\nautocannon: ${connections} connections, ${rounds} rounds of ${seconds} s per server after a warm-up; ` +
        `body ${body.length} bytes`,
    );
    for (let i = 0; i < rounds; i++) {
      for (const l of [loads.host[i], loads.bare[i]]) {
        const r = l.result;
        console.log(
          loadLine(`  round ${i + 1} ${l.label}`, r.requests.average, r.latency.p50, r.latency.p99),
        );
      }
    }
    const ratio = median(loads.ratios);
    console.log('median of the rounds');
    console.log(summary(`  host GET ${CATALOG}`, loads.host));
    console.log(summary('  bare node http, same JSON', loads.bare));
    console.log(
      `  ratio host / bare               ${(ratio * 100).toFixed(1)} % (rounds: ${loads.ratios.map((x) => (x * 100).toFixed(1)).join(', ')} %)`,
    );

    console.log(
      `  ceiling: bare server + the @azure/functions HttpRequest and InvocationContext every handler gets: ` +
        `${ceiling.host[0].result.requests.average.toFixed(0)} req/s, ${(ceiling.ratios[0] * 100).toFixed(1)} % of bare`,
    );

    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log('\ntargets');
    console.log(
      `  authenticated catalog ≥ ${TARGET_RATIO * 100} % of bare   ${(ratio * 100).toFixed(1)} %   ${verdict(ratio >= TARGET_RATIO)}`,
    );
    console.log(
      `  import of the entry ≤ ${TARGET_IMPORT_MS} ms          ${ms(importMs)}   ${verdict(importMs <= TARGET_IMPORT_MS)}`,
    );
    if (cpuProf) console.log(`\nCPU profile of the host written under ${cpuProf}`);

    const problems = [...loads.host, ...loads.bare, ...ceiling.host].flatMap(checkLoad);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  } finally {
    killAll();
    await azurite.close();
  }
}

if (process.argv[2] === BARE_FLAG || process.argv[2] === OBJECTS_FLAG) {
  runBareServer(process.argv[3], process.argv[2] === OBJECTS_FLAG);
} else {
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  main().catch((err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    killAll();
    process.exit(1);
  });
}
