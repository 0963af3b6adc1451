// The sweep part of `npm run bench` (also on its own: `node dist/scripts/benchSweep.js` after a build): 20,000
// connections in Azurite, a realistic mix, platform fakes adding 100 ms to every call. It reports, for a run that
// must renew 2,000 due grants and for a day of runs at the default 15-minute schedule with nobody using the
// connections: entities read and platform calls per run, platform calls per idle connection per day, wall
// time and memory. Baseline in the same run: reading every active connection, as the sweep did before the due
// index. Environment: BENCH_SWEEP_CONNECTIONS (20000), BENCH_SWEEP_DUE (2000), BENCH_SWEEP_LATENCY_MS (100),
// BENCH_SWEEP_DAY_RUNS (96). Exits non-zero only when something fails, never for a missed target.
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../host/azurite';
import { GoogleFake } from '../test/fakes/google';
import { MetaFake } from '../test/fakes/meta';
import { TikTokFake } from '../test/fakes/tiktok';
import { XFake } from '../test/fakes/x';

const DAY = 86_400_000;
const INTERVAL = 15 * 60_000;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number.`);
  return value;
}

const TOTAL = intFromEnv('BENCH_SWEEP_CONNECTIONS', 20_000);
const DUE = intFromEnv('BENCH_SWEEP_DUE', 2_000);
const LATENCY_MS = intFromEnv('BENCH_SWEEP_LATENCY_MS', 100);
const DAY_RUNS = intFromEnv('BENCH_SWEEP_DAY_RUNS', 96);
const TENANTS = 20;

/** The mix of connector types (shares of the total): mostly Google, some Meta family, X and TikTok. */
const MIX: Array<[string, number]> = [
  ['google_ads', 0.45],
  ['youtube', 0.15],
  ['meta', 0.12],
  ['facebook', 0.05],
  ['instagram', 0.05],
  ['twitter', 0.08],
  ['tiktok', 0.07],
  ['linkedin', 0.03],
];
/** The due grants: idle Google connections near six months unused, TikTok refresh tokens near their end. */
const DUE_MIX: Array<[string, number]> = [
  ['google_ads', 0.5],
  ['youtube', 0.2],
  ['tiktok', 0.3],
];

const APPS = {
  google: { clientId: 'bench.apps.googleusercontent.com', clientSecret: 'bench-google-secret-0123' },
  tiktok: { clientId: 'benchtiktok01', clientSecret: 'bench-tiktok-secret-0123456789' },
  x: { clientId: 'benchx0123456789', clientSecret: 'bench-x-secret-0123456789abcdef' },
  meta: { clientId: '7770001111', clientSecret: 'bench-meta-secret-0123456789' },
};

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** Runs `work` over items, `concurrency` at a time. */
async function inParallel<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Peak RSS and heap while `work` runs, sampled every 50 ms. */
async function withMemory<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; heap: number }> {
  let rss = process.memoryUsage().rss;
  let heap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  }, 50);
  try {
    const result = await work();
    return { result, rss, heap };
  } finally {
    clearInterval(timer);
  }
}

/** Storage requests, counted by a pass-through proxy in front of Azurite: GETs (reads and queries) and writes. */
const storage = { reads: 0, writes: 0 };

function countingProxy(targetPort: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === 'GET') storage.reads++;
    else storage.writes++;
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'st-bench-sweep-'));
  const azurite = await startAzurite(join(dir, 'azurite'));
  const proxy = await countingProxy(azurite.port);
  const proxyPort = (proxy.address() as AddressInfo).port;
  const fakes = {
    google: await GoogleFake.start({ latencyMs: LATENCY_MS }),
    tiktok: await TikTokFake.start({ latencyMs: LATENCY_MS }),
    x: await XFake.start({ latencyMs: LATENCY_MS }),
    meta: await MetaFake.start({ latencyMs: LATENCY_MS }),
  };
  fakes.google.addApp(APPS.google);
  fakes.tiktok.addApp(APPS.tiktok);
  fakes.x.addApp(APPS.x);
  fakes.meta.addApp(APPS.meta);
  try {
    Object.assign(process.env, {
      TABLES_CONNECTION_STRING: azurite.connectionString.replace(
        `127.0.0.1:${azurite.port}`,
        `127.0.0.1:${proxyPort}`,
      ),
      LOCAL_SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'),
      DATA_DIR: dir,
      // The orphan-secret purge lists every secret older than this age on each run (see docs/PERFORMANCE.md):
      // kept out of the simulated day, which measures the grant sweep itself.
      ORPHAN_SECRET_MIN_AGE_SECONDS: String(10 * 86_400),
      ...fakes.google.env(),
      ...fakes.tiktok.env(),
      ...fakes.x.env(),
      ...fakes.meta.env(),
    });
    for (const type of ['GOOGLE_ADS', 'YOUTUBE']) {
      process.env[`CONNECTOR_${type}_CLIENT_ID`] = APPS.google.clientId;
      process.env[`CONNECTOR_${type}_CLIENT_SECRET`] = APPS.google.clientSecret;
    }
    process.env.CONNECTOR_GOOGLE_ADS_DEVELOPER_TOKEN = 'bench-developer-token';
    process.env.CONNECTOR_TIKTOK_CLIENT_ID = APPS.tiktok.clientId;
    process.env.CONNECTOR_TIKTOK_CLIENT_SECRET = APPS.tiktok.clientSecret;
    await run(fakes);
  } finally {
    await Promise.all(Object.values(fakes).map((f) => f.close()));
    await new Promise((r) => proxy.close(r));
    await azurite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Fakes {
  google: GoogleFake;
  tiktok: TikTokFake;
  x: XFake;
  meta: MetaFake;
}

async function run(fakes: Fakes) {
  // Loaded after the environment is complete: settings are read on first use.
  const { resetSettings } = await import('../src/settings');
  resetSettings();
  const { findDefinition } = await import('../src/platforms/registry/definitions');
  const { authorizationUrl, exchangeCode, newPkce } = await import('../src/oauth/engine');
  const { toBundle } = await import('../src/oauth/tokens');
  const { secretStore } = await import('../src/secrets');
  const { connections } = await import('../src/stores/connectionStore');
  const { dueIndex } = await import('../src/stores/dueIndexStore');
  const { tablesSdk } = await import('../src/stores/tables');
  const { tokenRef } = await import('../src/services/connectionRecords');
  const { grantEndOf, NOTICE_MS, sweepDueAt } = await import('../src/services/grantSchedule');
  const { sweepConnections } = await import('../src/services/sweep');
  const { backfillGrantEnds } = await import('../src/services/sweepBackfill');
  type Record = import('../src/stores/connectionStore').ConnectionRecord;

  const now = Date.now();
  const tenants = Array.from({ length: TENANTS }, () => randomUUID());
  const def = (type: string) => {
    const found = findDefinition(type);
    if (!found) throw new Error(`no connector type ${type}`);
    return found;
  };
  const record = (type: string, i: number, extra: Partial<Record>): Record => ({
    tenantId: tenants[i % TENANTS],
    id: randomUUID(),
    connectorType: type,
    name: `${type} ${i}`,
    status: 'active',
    scopes: def(type).oauth.scopes,
    createdAt: new Date(now - 200 * DAY).toISOString(),
    updatedAt: new Date(now - DAY).toISOString(),
    secretVersion: 'v-not-read',
    ...extra,
  });

  // ---- Seeding ----
  const seedStarted = performance.now();
  // The due grants get real tokens from the fakes (authorize, then code exchange), so renewing them is real.
  const dueTypes = DUE_MIX.flatMap(([type, share]) =>
    Array.from({ length: Math.round(share * DUE) }, () => type),
  ).slice(0, DUE);
  const dueRecords: Record[] = [];
  const redirectUri = 'http://127.0.0.1/bench-callback';
  /** A real grant at the fake (authorize, then code exchange), so renewing it later is real. */
  const realTokens = async (type: string, i: number) => {
    const d = def(type);
    const app = type === 'tiktok' ? APPS.tiktok : APPS.google;
    const pkce = newPkce();
    const consent = await fetch(
      authorizationUrl(d, app, { state: `bench-${i}`, redirectUri, scopes: d.oauth.scopes, pkce }),
      { redirect: 'manual' },
    );
    const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code');
    if (!code) throw new Error(`${type}: the fake gave no code (${consent.status})`);
    return exchangeCode(d, app, { code, redirectUri, codeVerifier: pkce.verifier });
  };
  await inParallel(
    dueTypes.map((type, i) => ({ type, i })),
    50,
    async ({ type, i }) => {
      const d = def(type);
      const tokens = await realTokens(type, i);
      // Google: unused for 174 days; TikTok: its refresh token ends in 6 days. Both due a day ago.
      const lastRefreshedAt = type === 'tiktok' ? now - DAY : now - 174 * DAY;
      const refreshExpiresAt = type === 'tiktok' ? now + NOTICE_MS - DAY : undefined;
      const issued = {
        ...tokens,
        refresh_expires_at:
          refreshExpiresAt === undefined ? undefined : new Date(refreshExpiresAt).toISOString(),
      };
      const r = record(type, i, {
        lastRefreshedAt: new Date(lastRefreshedAt).toISOString(),
        expiresAt: new Date(lastRefreshedAt + 3600_000).toISOString(),
        refreshExpiresAt: issued.refresh_expires_at,
        reconnectBy: grantEndOf(d, issued, undefined, lastRefreshedAt),
      });
      r.secretVersion = await secretStore().put(tokenRef(r.tenantId, r.id), toBundle(issued));
      r.dueAt = sweepDueAt(d, r);
      dueRecords.push(r);
    },
  );
  // The rest: idle connections whose grant needs the sweep some time in its period, spread evenly over it.
  const rest: Record[] = [];
  const others = TOTAL - dueRecords.length;
  let n = 0;
  for (const [type, share] of MIX) {
    const count = Math.round(share * others);
    for (let k = 0; k < count && rest.length < others; k++, n++) {
      const d = def(type);
      const u = (k + 0.5) / count; // evenly spread, so a simulated day sees its share
      const google = d.oauth.refreshTokenIdleDays !== undefined;
      const lastRefreshedAt = google ? now - (173 - u * 173) * DAY - 60_000 : now - u * 30 * DAY;
      const extra: Partial<Record> = { lastRefreshedAt: new Date(lastRefreshedAt).toISOString() };
      if (type === 'meta' || type === 'facebook' || type === 'instagram') {
        extra.expiresAt = extra.reconnectBy = new Date(now + NOTICE_MS + 60_000 + u * 53 * DAY).toISOString();
      } else if (type === 'tiktok') {
        extra.refreshExpiresAt = extra.reconnectBy = new Date(
          now + NOTICE_MS + 60_000 + u * 173 * DAY,
        ).toISOString();
      } else if (type === 'linkedin') {
        extra.refreshExpiresAt = extra.reconnectBy = new Date(
          now + NOTICE_MS + 60_000 + u * 358 * DAY,
        ).toISOString();
      } else if (google) {
        extra.reconnectBy = new Date(lastRefreshedAt + 180 * DAY).toISOString();
      } // X: no refresh-token end is known, so nothing is due, ever
      const r = record(type, n, extra);
      r.dueAt = sweepDueAt(d, r);
      rest.push(r);
    }
  }
  // Those whose renewal falls within the simulated day get real tokens too (the others are never read).
  const renewedInTheDay = rest.filter(
    (r) =>
      ['google_ads', 'youtube', 'tiktok'].includes(r.connectorType) &&
      r.dueAt !== undefined &&
      Date.parse(r.dueAt) <= now + DAY + INTERVAL,
  );
  await inParallel(renewedInTheDay, 50, async (r) => {
    const tokens = await realTokens(r.connectorType, 0);
    const issued = { ...tokens, refresh_expires_at: r.refreshExpiresAt };
    r.secretVersion = await secretStore().put(tokenRef(r.tenantId, r.id), toBundle(issued));
  });
  const all = [...dueRecords, ...rest];
  await connections.insertMany(all);
  await dueIndex.insertMany(
    all.flatMap((r) => (r.dueAt ? [{ dueAt: r.dueAt, tenantId: r.tenantId, connectionId: r.id }] : [])),
  );
  const seedMs = performance.now() - seedStarted;
  const indexed = all.filter((r) => r.dueAt).length;
  console.log(
    `seeded ${all.length} connections (${dueRecords.length} due grants with real tokens, ${indexed} in the due index) in ${seconds(seedMs)} s`,
  );

  const invocation = () =>
    new InvocationContext({ functionName: 'connections-sweep', logHandler: () => undefined });
  /** Every request the fakes answered: what the platforms saw, to check the sweep's own count. */
  const platformSaw = () => Object.values(fakes).reduce((sum, f) => sum + f.stats.requests.length, 0);

  // ---- The one-time backfill of connections written before reconnect_by, run to its end first ----
  const backfillStarted = performance.now();
  let backfillRead = 0;
  let backfillPages = 0;
  for (let read = 0; read !== 1; backfillPages++) {
    read = await backfillGrantEnds();
    backfillRead += read;
  }
  const backfillMs = performance.now() - backfillStarted;
  console.log(`(backfill pass done in ${seconds(backfillMs)} s)`);

  // ---- Baseline: what every run read before the due index (every active connection) ----
  const { odata } = await tablesSdk();
  const baselineBefore = storage.reads;
  const baselineStarted = performance.now();
  let scanned = 0;
  for await (const stored of connections.all(odata`status eq ${'active'}`)) if (stored.value.id) scanned++;
  const baselineMs = performance.now() - baselineStarted;
  const baselineRequests = storage.reads - baselineBefore;

  // ---- A run that must renew the due grants ----
  const sawBefore = platformSaw();
  const storageBefore = { ...storage };
  const renewal = await withMemory(async () => {
    const started = performance.now();
    const report = await sweepConnections(invocation(), now);
    return { report, ms: performance.now() - started };
  });
  const renewalSaw = platformSaw() - sawBefore;
  console.log(
    `(renewal run done in ${seconds(renewal.result.ms)} s: ${JSON.stringify(renewal.result.report)})`,
  );
  const renewalStorage = {
    reads: storage.reads - storageBefore.reads,
    writes: storage.writes - storageBefore.writes,
  };
  const quietBefore = { ...storage };
  // ---- The next run: nothing due ----
  const quietStarted = performance.now();
  const quiet = await sweepConnections(invocation(), now + INTERVAL);
  const quietMs = performance.now() - quietStarted;
  const quietStorage = storage.reads + storage.writes - quietBefore.reads - quietBefore.writes;

  // ---- A day of runs at the default schedule, nobody using the connections ----
  const daySawBefore = platformSaw();
  let dayCalls = 0;
  let dayRead = 0;
  let dayDue = 0;
  let dayMs = 0;
  for (let k = 1; k <= DAY_RUNS; k++) {
    const started = performance.now();
    const report = await sweepConnections(invocation(), now + k * (DAY / DAY_RUNS));
    dayMs += performance.now() - started;
    dayCalls += report.platformCalls;
    dayRead += report.entitiesRead;
    dayDue += report.due;
  }

  const daySaw = platformSaw() - daySawBefore;
  const r = renewal.result.report;
  const lines = [
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; fakes add ${LATENCY_MS} ms to every call`,
    `baseline (before the due index): one run read ${scanned} connections (${baselineRequests} storage requests) in ${seconds(baselineMs)} s before doing anything`,
    `one-time backfill pass (already-indexed records untouched): ${backfillPages - 1} pages, ${backfillRead} entities read, in ${seconds(backfillMs)} s`,
    `renewal run: due ${r.due}, entities read ${r.entitiesRead}, platform calls ${r.platformCalls} (the fakes saw ${renewalSaw}), renewed ${r.renewed}, failed ${r.failed}, storage requests ${renewalStorage.reads} reads + ${renewalStorage.writes} writes, in ${seconds(renewal.result.ms)} s; peak RSS ${mb(renewal.rss)} MB, peak heap ${mb(renewal.heap)} MB`,
    `next run (nothing due): entities read ${quiet.entitiesRead}, platform calls ${quiet.platformCalls}, storage requests ${quietStorage} (the purge's scans included), in ${quietMs.toFixed(0)} ms`,
    `a simulated day (${DAY_RUNS} runs): due ${dayDue}, entities read ${dayRead}, platform calls ${dayCalls} (the fakes saw ${daySaw}) = ${(dayCalls / TOTAL).toFixed(5)} per connection per day (1/${dayCalls ? Math.round(TOTAL / dayCalls) : '∞'}); ${seconds(dayMs)} s of sweeping in all`,
  ];
  for (const line of lines) console.log(line);
  if (r.failed > 0 || r.renewed < dueRecords.length) {
    throw new Error(`the renewal run failed ${r.failed} and renewed ${r.renewed} of ${dueRecords.length}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
