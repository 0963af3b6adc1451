// `npm run sandbox`: every platform fake (with an Allow / Deny consent page) on fixed loopback ports, one
// sandbox app per connector type registered with them, and the local host as a child process pointed at
// the fakes, with its own data under .data/sandbox and the local development issuer. Prints a guide to
// click through a whole OAuth flow without any platform account. Ctrl-C or SIGTERM stops everything.
//
// Settings: PORT (the host, default 7071; 0 picks a free port), SANDBOX_FAKES_BASE_PORT (the first of six
// consecutive fake ports, default 7101; 0 picks free ports), SANDBOX_DATA_DIR (default .data/sandbox, where
// the host's data and the fakes' tokens and grants stay between runs).
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { AllFakes, startAllFakes, TikTokAdsFake, TikTokFake, XFake } from '../test/fakes';
import { FakeConnectorType, PlatformFake } from '../test/fakes/types';
import { executeLine, SANDBOX_GUIDE } from './sandboxGuide';

const ROOT = resolve(__dirname, '..', '..');
const DEFAULT_PORT = 7071;
const DEFAULT_FAKES_BASE_PORT = 7101;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
/** How often the fakes' tokens and grants are written to the data folder (and once more on stop). */
const SAVE_EVERY_MS = 2_000;
/** Meta, Google, X, LinkedIn, TikTok, TikTok Ads: one loopback port each from SANDBOX_FAKES_BASE_PORT. */
const FAKE_COUNT = 6;

export interface SandboxApp {
  type: FakeConnectorType;
  clientId: string;
  clientSecret: string;
  /** A connector configuration with these credentials, in the type's own field names (passes its schema). */
  config: Record<string, string>;
}

/**
 * The sandbox apps: obviously fake credentials, registered only with the fakes. Meta app ids are digits,
 * LinkedIn client ids and TikTok client keys alphanumeric, so those carry the sandbox mark in the secret.
 */
export const SANDBOX_APPS: readonly SandboxApp[] = [
  {
    type: 'meta',
    clientId: '1000000000000001',
    clientSecret: 'sandbox-meta-app-secret',
    config: { app_id: '1000000000000001', app_secret: 'sandbox-meta-app-secret' },
  },
  {
    type: 'facebook',
    clientId: '1000000000000002',
    clientSecret: 'sandbox-facebook-app-secret',
    config: { app_id: '1000000000000002', app_secret: 'sandbox-facebook-app-secret' },
  },
  {
    type: 'instagram',
    clientId: '1000000000000003',
    clientSecret: 'sandbox-instagram-app-secret',
    config: { client_id: '1000000000000003', client_secret: 'sandbox-instagram-app-secret' },
  },
  {
    type: 'google_ads',
    clientId: 'sandbox-google-ads.apps.googleusercontent.com',
    clientSecret: 'sandbox-google-ads-client-secret',
    config: {
      client_id: 'sandbox-google-ads.apps.googleusercontent.com',
      client_secret: 'sandbox-google-ads-client-secret',
      developer_token: 'sandbox-developer-token',
    },
  },
  {
    type: 'youtube',
    clientId: 'sandbox-youtube.apps.googleusercontent.com',
    clientSecret: 'sandbox-youtube-client-secret',
    config: {
      client_id: 'sandbox-youtube.apps.googleusercontent.com',
      client_secret: 'sandbox-youtube-client-secret',
    },
  },
  {
    type: 'twitter',
    clientId: 'sandbox-x-client',
    clientSecret: 'sandbox-x-client-secret',
    config: {
      api_key: 'sandbox-x-api-key',
      api_secret: 'sandbox-x-api-secret',
      client_id: 'sandbox-x-client',
      client_secret: 'sandbox-x-client-secret',
    },
  },
  {
    type: 'linkedin',
    clientId: 'sandboxlinkedin',
    clientSecret: 'sandbox-linkedin-client-secret',
    config: { client_id: 'sandboxlinkedin', client_secret: 'sandbox-linkedin-client-secret' },
  },
  {
    type: 'tiktok',
    clientId: 'sandboxtiktok',
    clientSecret: 'sandbox-tiktok-client-secret',
    config: { client_key: 'sandboxtiktok', client_secret: 'sandbox-tiktok-client-secret' },
  },
  {
    type: 'tiktok_ads',
    clientId: '7000000000000000001',
    clientSecret: 'sandbox-tiktok-ads-secret',
    config: { app_id: '7000000000000000001', secret: 'sandbox-tiktok-ads-secret' },
  },
];

/** Settings the sandbox decides itself: inherited values would point the host elsewhere. */
const AUTH_SETTINGS = ['AUTH_AUTHORITY', 'AZURE_TENANT_ID', 'AUTH_AUDIENCE', 'AUTH_ALLOWED_TENANTS'];

function portSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  const port = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number (0 for any free port), not ${JSON.stringify(raw)}.`);
  }
  return port;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}

/** Every app registered with the fake that serves its type. */
function registerApps(all: AllFakes): void {
  for (const app of SANDBOX_APPS) {
    const fake = all.fakes.find((f) => f.types.includes(app.type));
    if (!fake) throw new Error(`No fake serves ${app.type}.`);
    fake.addApp({ clientId: app.clientId, clientSecret: app.clientSecret });
    if (fake instanceof XFake && app.config.api_key && app.config.api_secret) {
      fake.addConsumerKey(app.config.api_key, app.config.api_secret); // verify of a configuration
    }
    // TikTok pulls videos only from URL prefixes verified for the app: the guide's video is under this one.
    if (fake instanceof TikTokFake) fake.verifyUrlPrefix(app.clientId, 'https://cdn.example.com/');
  }
}

/**
 * The fakes remember the tokens and grants they issued in `fakes.json` beside the host's data, so a
 * restarted sandbox keeps every saved connection working (the platform side of a connection outlives a
 * restart, as a real platform's does). Written atomically, readable by the owner only: it holds tokens.
 */
class FakeStateFile {
  private readonly file: string;
  private last = '';

  constructor(
    dataDir: string,
    private readonly fakes: readonly PlatformFake[],
  ) {
    this.file = join(dataDir, 'fakes.json');
  }

  private key(fake: PlatformFake): string {
    return fake.types.join(',');
  }

  load(): boolean {
    if (!existsSync(this.file)) return false;
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
    for (const fake of this.fakes) {
      const state = saved[this.key(fake)];
      if (state) fake.loadState(state);
    }
    return true;
  }

  save(): void {
    const text = JSON.stringify(Object.fromEntries(this.fakes.map((f) => [this.key(f), f.saveState()])));
    if (text === this.last) return;
    mkdirSync(resolve(this.file, '..'), { recursive: true });
    writeFileSync(`${this.file}.tmp`, text, { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    this.last = text;
  }
}

function hostEnv(all: AllFakes, port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('CONNECTOR_') && !AUTH_SETTINGS.includes(name)) env[name] = value;
  }
  Object.assign(env, all.env);
  for (const app of SANDBOX_APPS) {
    const prefix = `CONNECTOR_${app.type.toUpperCase()}_`;
    // Every configuration field by name (the developer token, X's consumer keys), then the pair OAuth uses.
    for (const [field, value] of Object.entries(app.config)) env[`${prefix}${field.toUpperCase()}`] = value;
    env[`${prefix}CLIENT_ID`] = app.clientId;
    env[`${prefix}CLIENT_SECRET`] = app.clientSecret;
  }
  env.DATA_DIR = dataDir;
  env.PORT = String(port);
  return env;
}

/** Per connector type: the account, query, next_page and execute bodies of SANDBOX_GUIDE. */
function typeLines(typeWidth: number): string[] {
  return SANDBOX_APPS.flatMap(({ type }) => {
    const entry = SANDBOX_GUIDE[type];
    const pad = ' '.repeat(typeWidth);
    return [
      ...(entry.account_id
        ? [`    ${type.padEnd(typeWidth)}  account   ${JSON.stringify({ account_id: entry.account_id })}`]
        : []),
      `    ${(entry.account_id ? '' : type).padEnd(typeWidth)}  query     ${JSON.stringify({ query: entry.query })}`,
      `    ${pad}  message   {"type":"next_page"}   ${entry.nextPage === 'rows' ? '→ the next rows' : '→ 409 no_next_page (this report comes in one answer)'}`,
      ...(entry.report
        ? [`    ${pad}  query     ${JSON.stringify({ report: entry.report })}   → the unified report's rows`]
        : []),
      `    ${pad}  execute   ${executeLine(entry.execute)}`,
    ];
  });
}

function guide(all: AllFakes, hostUrl: string, dataDir: string, restored: boolean): string {
  const api = `${hostUrl}/api`;
  const port = new URL(hostUrl).port;
  const token =
    port === String(DEFAULT_PORT) ? 'npm run --silent token' : `PORT=${port} npm run --silent token`;
  const typeWidth = Math.max(...SANDBOX_APPS.map((a) => a.type.length));
  const fakeLines = all.fakes.map((f) => `    ${f.types.join(', ').padEnd(28)} ${f.url}`);
  const appLines = SANDBOX_APPS.map((a) => `    ${a.type.padEnd(typeWidth)}  ${JSON.stringify(a.config)}`);
  const json = "-H 'Content-Type: application/json'";
  const tiktokAds = all.fakes.find((f): f is TikTokAdsFake => f instanceof TikTokAdsFake);
  const advertiserLines = (tiktokAds?.advertisers ?? []).map(
    (a) => `    ${a.advertiser_id}  ${a.currency}  ${a.timezone.padEnd(20)} ${a.campaigns.length} campaigns`,
  );
  return [
    '',
    '=== Supertrack Connectors sandbox ===',
    `  API             ${api}`,
    `  Data            ${dataDir}${restored ? ' (connections and the fakes’ grants from the last run kept)' : ''}`,
    `  Tokens          local development issuer: ${token}`,
    '  Platform fakes  (each shows an Allow / Deny consent page)',
    ...fakeLines,
    '  Sandbox apps    set as CONNECTOR_<TYPE>_CLIENT_ID / _CLIENT_SECRET, so a connection needs no',
    '                  configuration; or create one with POST /api/v1/connectors/configs and this config:',
    ...appLines,
    '  TikTok Ads      seeded advertisers (every consent grants them; reports hold their figures):',
    ...advertiserLines,
    '  Walk-through',
    `    TOKEN=$(${token})`,
    `    API=${api}`,
    `    curl -s -X POST $API/v1/connectors/oauth -H "Authorization: Bearer $TOKEN" \\`,
    `      -H 'Content-Type: application/json' -d '{"connector_type":"tiktok"}'`,
    "    # Open data.authorization_url in a browser and click Allow on the fake platform's page (or, in the",
    '    # terminal: curl -s "$(curl -s -o /dev/null -w \'%{redirect_url}\' "<authorization_url>&fake_consent=allow")").',
    '    # Then, with data.id as <id>:',
    '    curl -s $API/v1/connectors/oauth/<id> -H "Authorization: Bearer $TOKEN"          # status: active',
    '    curl -s -X POST $API/v1/connectors/oauth/<id>/test -H "Authorization: Bearer $TOKEN"  # data.ok: true',
    '  Operations, per connector type (seeded ids; POST each body to $OPS/<what>, OPS=$API/v1/connectors/operations/<id>;',
    '  send back the X-Session-Id of the first answer, metadata.session_id, so next_page continues that query):',
    `    curl -s -X POST $OPS/query -H "Authorization: Bearer $TOKEN" -H "X-Session-Id: <session_id>" ${json} -d '<body>'`,
    ...typeLines(typeWidth),
    '  Ctrl-C stops the host and the fakes.',
    '',
  ].join('\n');
}

/** SIGTERM, then SIGKILL if the child has not exited in time; resolves once it has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

async function main(): Promise<void> {
  const port = portSetting('PORT', DEFAULT_PORT);
  const fakesBasePort = portSetting('SANDBOX_FAKES_BASE_PORT', DEFAULT_FAKES_BASE_PORT);
  const dataDir = resolve(process.env.SANDBOX_DATA_DIR || join(ROOT, '.data', 'sandbox'));

  if (fakesBasePort) {
    for (let p = fakesBasePort; p < fakesBasePort + FAKE_COUNT; p++) {
      if (!(await portFree(p))) {
        throw new Error(
          `Port ${p} (fakes use ${fakesBasePort}-${fakesBasePort + FAKE_COUNT - 1}) is in use: stop what holds it, or set ` +
            'SANDBOX_FAKES_BASE_PORT to another first port (0 for any free ports).',
        );
      }
    }
  }
  const all = await startAllFakes({ interactiveConsent: true, basePort: fakesBasePort });
  registerApps(all);
  const fakeState = new FakeStateFile(dataDir, all.fakes);
  const restored = fakeState.load();
  const saver = setInterval(() => fakeState.save(), SAVE_EVERY_MS);

  const child = spawn(process.execPath, [join(ROOT, 'dist', 'host', 'main.js')], {
    env: hostEnv(all, port, dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A crash of this script must not leave the host behind.
  process.on('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`Sandbox: ${reason}; stopping the host and the fakes.`);
    clearInterval(saver);
    await stopChild(child);
    fakeState.save();
    await all.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT received', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM received', 0));
  // The host stops by itself on a terminal's Ctrl-C (the signal reaches the whole process group).
  child.once('exit', (code, signal) => {
    const clean = code === 0;
    void shutdown(`the host exited (${signal ?? `code ${code}`})`, clean ? 0 : 1);
  });

  let seen = '';
  let ready = false;
  const startTimer = setTimeout(
    () => void shutdown(`the host did not start within ${START_TIMEOUT_MS / 1000} s`, 1),
    START_TIMEOUT_MS,
  );
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (ready) return;
    seen += chunk.toString('utf8');
    const m = /listening on (http:\/\/localhost:\d+)\//.exec(seen);
    if (!m) return;
    ready = true;
    seen = '';
    clearTimeout(startTimer);
    process.stdout.write(guide(all, m[1], dataDir, restored));
    process.stdout.write(`Sandbox ready: API ${m[1]}/api (host pid ${child.pid})\n`);
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`The sandbox could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
