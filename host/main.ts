// `npm start`: the local host with its embedded defaults (Azurite under .data/, the local secret store,
// the development issuer when no authority is configured). Stops cleanly on SIGINT and SIGTERM.
import { readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LogLevel } from '@azure/functions';
import { resetSettings, settings } from '../src/settings';
import { settingProblems } from '../src/settingsCheck';
import { startAzurite, EmbeddedAzurite } from './azurite';
import { inFlightSecondsOf, queueOptionsOf, startQueueTriggers } from './queues';
import { DEV_AUDIENCE, devIssuer } from './devIssuer';
import { startLocalHost } from './server';

const root = resolve(__dirname, '..', '..');

interface HostJson {
  extensions?: { http?: { routePrefix?: string }; queues?: Record<string, unknown> };
}

const hostJson = (): HostJson => JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as HostJson;

function routePrefix(): string {
  return hostJson().extensions?.http?.routePrefix ?? 'api';
}

const LEVELS: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

/**
 * Log lines are buffered and written in batches: one `write` per stream per batch instead of one per line
 * (a syscall per request was about a third of the host's CPU under load). A batch goes out on the next
 * turn of the event loop, or at once when it grows past BATCH_BYTES; what is left goes out synchronously
 * on exit (SIGINT, SIGTERM, process.exit, a crash), so no line is lost and each stream keeps its order.
 */
const BATCH_BYTES = 64 * 1024;
/** How long the exit flush waits for a full pipe to drain before it gives up. */
const EXIT_WRITE_MS = 2000;

class LineWriter {
  private readonly lines: string[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly fd: number,
  ) {}

  write(line: string): void {
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= BATCH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands the batch to the stream: written at once when the pipe has room, else queued by Node. */
  flush(): void {
    const text = this.take();
    if (text) this.stream.write(text);
  }

  /** On exit, when nothing can be queued any more: the batch is written before this returns. */
  flushSync(): void {
    const text = this.take();
    if (!text) return;
    // With bytes already queued in the stream, a direct write would overtake them; leave it to the stream.
    if (this.stream.writableLength > 0) this.stream.write(text);
    else writeFully(this.fd, text);
  }

  private take(): string | undefined {
    this.scheduled = false;
    if (this.lines.length === 0) return undefined;
    const text = `${this.lines.join('\n')}\n`;
    this.lines.length = 0;
    this.bytes = 0;
    return text;
  }
}

/** Writes all of `text` to `fd` synchronously; a stdio pipe is non-blocking and may take it in parts. */
function writeFully(fd: number, text: string): void {
  let buffer = Buffer.from(text, 'utf8');
  const deadline = Date.now() + EXIT_WRITE_MS;
  while (buffer.length > 0 && Date.now() < deadline) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return; // the reader is gone
    }
  }
}

const stdout = new LineWriter(process.stdout, 1);
const stderr = new LineWriter(process.stderr, 2);

/** Hands every buffered log line to stdout/stderr now (before other output to them). */
function flushLogs(): void {
  stdout.flush();
  stderr.flush();
}
process.on('exit', () => {
  stdout.flushSync();
  stderr.flushSync();
});

function log(level: LogLevel, fn: string, invocationId: string, message: string): void {
  if (LEVELS[level] < LEVELS[(process.env.LOG_LEVEL as LogLevel | undefined) ?? 'information']) return;
  // The pipeline logs structured events as JSON text; merge them rather than nest a string.
  let fields: Record<string, unknown> = { message };
  if (message.startsWith('{')) {
    try {
      fields = JSON.parse(message) as Record<string, unknown>;
    } catch {
      // plain text that happens to start with a brace
    }
  }
  const line = JSON.stringify({
    time: new Date().toISOString(),
    level,
    function: fn,
    invocation_id: invocationId,
    ...fields,
  });
  (level === 'error' || level === 'critical' ? stderr : stdout).write(line);
}

/** Thrown for settings that cannot work: the start stops with this message and exit code 2. */
class SettingsError extends Error {}

async function main(): Promise<void> {
  const env = process.env;
  const problems = settingProblems(env);
  if (problems.length > 0) {
    throw new SettingsError(
      `the settings are not usable:\n${problems.map((p) => `  ${p.setting} ${p.problem}`).join('\n')}`,
    );
  }
  const dataDir = resolve(env.DATA_DIR || join(root, '.data'));
  env.DATA_DIR = dataDir;
  const port = Number(env.PORT || 7071);
  // Loopback unless told otherwise: the development issuer mints tokens for anyone who can reach it.
  const bindTo = env.HOST?.trim() || '127.0.0.1';

  let azurite: EmbeddedAzurite | undefined;
  let storage: string;
  if (!env.TABLES_CONNECTION_STRING && !env.TABLES_ENDPOINT) {
    azurite = await startAzurite(join(dataDir, 'azurite'), { queue: true });
    env.TABLES_CONNECTION_STRING = azurite.connectionString;
    storage = `embedded Azurite on 127.0.0.1:${azurite.port} (queues on ${azurite.queuePort}; data in ${join(dataDir, 'azurite')})`;
  } else {
    storage = env.TABLES_CONNECTION_STRING
      ? 'Table Storage by connection string'
      : `Table Storage at ${env.TABLES_ENDPOINT} (managed identity)`;
  }

  const useDevIssuer = !env.AUTH_AUTHORITY && !env.AZURE_TENANT_ID;
  resetSettings();
  // The route table is loaded after the environment is complete: it reads settings on first use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const routes = require('../functions/routes') as typeof import('../functions/routes');
  const issuer = useDevIssuer ? devIssuer(dataDir) : undefined;
  const host = await startLocalHost({
    port,
    host: bindTo,
    routePrefix: routePrefix(),
    functions: routes.httpFunctions,
    timers: routes.functions.filter((f) => f.kind === 'timer'),
    sideRoutes: issuer ? [issuer.route] : [],
    log,
  });
  if (issuer) {
    env.AUTH_AUTHORITY = issuer.authority(host.port);
    env.AUTH_AUDIENCE ||= DEV_AUDIENCE;
  }
  env.PORT = String(host.port);
  env.PUBLIC_BASE_URL ||= `http://localhost:${host.port}`;
  resetSettings();
  // Queue triggers poll in the background; a queue that cannot be reached is logged and polled again later.
  const queueTriggers = startQueueTriggers(
    routes.functions.filter((f) => f.kind === 'queue'),
    { ...queueOptionsOf(hostJson()), inFlightSeconds: inFlightSecondsOf(env.LOCAL_QUEUE_IN_FLIGHT_SECONDS) },
    log,
  );

  const s = settings();
  const secrets = s.keyVaultUrl
    ? `Key Vault ${s.keyVaultUrl}`
    : 'local encrypted secret store (in Table Storage)';
  const issuerText = useDevIssuer
    ? `LOCAL DEVELOPMENT ISSUER ${s.auth.authority} (npm run token)`
    : `${s.auth.authority} (audience ${s.auth.audiences.join(', ') || 'NOT SET'})`;
  console.log(
    `Supertrack Connectors listening on http://localhost:${host.port}/${routePrefix()} (bound to ${bindTo}) — storage: ${storage}; secrets: ${secrets}; issuer: ${issuerText}`,
  );
  if (useDevIssuer) {
    console.warn(
      '*** WARNING: no AUTH_AUTHORITY or AZURE_TENANT_ID is set, so a local development issuer signs the tokens. ' +
        'Anyone on this machine can mint one with `npm run token`. Never expose this host. ***',
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    flushLogs();
    console.log(`${signal} received: stopping`);
    await queueTriggers.close();
    await host.close();
    await azurite?.close();
    process.exit(0); // the 'exit' handler writes out the last log lines
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`The local host could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof SettingsError ? 2 : 1);
});
