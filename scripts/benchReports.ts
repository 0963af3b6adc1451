// The reports part of `npm run bench`: a daily, campaign-level report over the fakes of Meta, Google Ads,
// LinkedIn and TikTok Ads, each adding BENCH_REPORT_LATENCY_MS (150) to every call and
// holding 50 campaigns. Measured in one run:
//   1. time to all rows of a 90-day report, through POST /v1/connectors/reports, for each platform alone and
//      for all of them at once; target: all at once ≤ 1.2 × the slowest alone;
//   2. the host's peak memory (VmHWM of its process) after reports of 30, 90, 180 and 360 days across all
//      connections; target: flat (pages stream through; no report is held whole).
// Environment: BENCH_REPORT_LATENCY_MS (default 150). Exits non-zero only when something fails.
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite } from '../host/azurite';
import { startHost } from './benchOperations';
import { GoogleFake } from '../test/fakes/google';
import { addDays, isoDay } from '../test/fakes/http';
import { LinkedInFake } from '../test/fakes/linkedin';
import { MetaFake, seedCampaigns } from '../test/fakes/meta';
import { TikTokAdsFake } from '../test/fakes/tiktokAds';

const TARGET_RATIO = 1.2;
const CAMPAIGNS = 50;
const META_ACCOUNT = '200000000000050';
const GOOGLE_CUSTOMER = '3456789012';
const LINKEDIN_ACCOUNT = '5005';

/** A token from the local host's development issuer. */
async function devToken(hostUrl: string): Promise<string> {
  const res = await fetch(`${hostUrl}/.dev-issuer/token`, { method: 'POST' });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function stopHost(host: { child: ChildProcess }): Promise<void> {
  if (host.child.exitCode !== null) return;
  host.child.kill('SIGTERM');
  await new Promise((r) => host.child.once('exit', r));
}

function caller(api: string, bearer: string): Call {
  return async (method, path, body) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
}

/** The host's peak resident memory so far, in MiB (Linux /proc). */
function peakMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read loosely here
type Json = any;

async function connect(call: Call, type: string, config: Record<string, string>): Promise<string> {
  const cfg = await call('POST', '/v1/connectors/configs', {
    name: `bench ${type}`,
    connector_type: type,
    config,
  });
  const created = await call('POST', '/v1/connectors/oauth', {
    connector_type: type,
    config_id: cfg.body.data.id,
  });
  const consent = await fetch(created.body.data.authorization_url, { redirect: 'manual' });
  await (await fetch(consent.headers.get('location') ?? '', { redirect: 'manual' })).arrayBuffer();
  return created.body.data.id as string;
}

/** Every row of a report over the given connections, following next_cursor; the rows are counted, not kept. */
async function runReport(
  call: Call,
  connections: unknown[],
  days: number,
): Promise<{ ms: number; rows: number }> {
  const today = isoDay(Date.now());
  const report = {
    metrics: ['spend', 'impressions', 'clicks', 'cpc'],
    dimensions: ['date', 'campaign'],
    date_range: { start: addDays(today, -days), end: addDays(today, -1) },
  };
  const started = performance.now();
  let res = await call('POST', '/v1/connectors/reports', { connections, report });
  let rows = 0;
  for (;;) {
    if (res.status !== 200 || res.body.data.errors.length) {
      throw new Error(`report failed: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
    }
    rows += res.body.data.rows.length;
    const cursor = res.body.data.next_cursor;
    if (!cursor) break;
    res = await call('POST', '/v1/connectors/reports', { cursor });
  }
  return { ms: performance.now() - started, rows };
}

export async function reportsBench() {
  const latencyMs = Number(process.env.BENCH_REPORT_LATENCY_MS ?? 150);
  const meta = await MetaFake.start({
    latencyMs,
    deliveryDays: 400,
    extraAdAccounts: [
      {
        accountId: META_ACCOUNT,
        name: 'Bench account',
        status: 1,
        currency: 'USD',
        timezone: 'America/New_York',
        campaigns: seedCampaigns(
          '1205000000',
          Array.from({ length: CAMPAIGNS }, (_, i) => [`Bench ${i + 1}`, 'OUTCOME_SALES']),
          1,
          1,
        ),
      },
    ],
  });
  // Google's real page: 10,000 rows.
  const google = await GoogleFake.start({
    latencyMs,
    adsPageSize: 10_000,
    campaignsOf: { customerId: GOOGLE_CUSTOMER, count: CAMPAIGNS },
  });
  const linkedin = await LinkedInFake.start({ latencyMs, benchAccount: true });
  // The EUR advertiser (Europe/Berlin) holds 50 campaigns.
  const tiktokAds = await TikTokAdsFake.start({ latencyMs });
  const tiktokAdvertiser = tiktokAds.advertisers.find((a) => a.campaigns.length === CAMPAIGNS);
  if (!tiktokAdvertiser) throw new Error(`no seeded TikTok advertiser with ${CAMPAIGNS} campaigns`);
  const apps = {
    meta: { app_id: '5555555566', app_secret: 'bench-meta-reports-0123456789' },
    google_ads: {
      client_id: 'bench-reports.apps.googleusercontent.com',
      client_secret: 'bench-google-reports-0123',
    },
    linkedin: { client_id: 'benchReports', client_secret: 'bench-linkedin-reports-0123456789' },
    tiktok_ads: { app_id: '7000000000000000777', secret: 'bench-tiktok-ads-reports-0123456789' },
  };
  meta.addApp({ clientId: apps.meta.app_id, clientSecret: apps.meta.app_secret });
  google.addApp({ clientId: apps.google_ads.client_id, clientSecret: apps.google_ads.client_secret });
  linkedin.addApp({ clientId: apps.linkedin.client_id, clientSecret: apps.linkedin.client_secret });
  tiktokAds.addApp({ clientId: apps.tiktok_ads.app_id, clientSecret: apps.tiktok_ads.secret });
  const dataDir = mkdtempSync(join(tmpdir(), 'st-bench-reports-'));
  const azurite = await startAzurite(undefined);
  const hostEnv = {
    PATH: process.env.PATH,
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warning',
    TABLES_CONNECTION_STRING: azurite.connectionString,
    ...meta.env(),
    ...google.env(),
    ...linkedin.env(),
    ...tiktokAds.env(),
  };
  const host = await startHost(hostEnv);
  try {
    const api = `${host.url}/api`;
    const bearer = await devToken(host.url);
    const call = caller(api, bearer);
    const targets: Record<string, { id: string; account_id: string }> = {
      meta: { id: await connect(call, 'meta', apps.meta), account_id: `act_${META_ACCOUNT}` },
      google_ads: { id: await connect(call, 'google_ads', apps.google_ads), account_id: GOOGLE_CUSTOMER },
      linkedin: { id: await connect(call, 'linkedin', apps.linkedin), account_id: LINKEDIN_ACCOUNT },
      tiktok_ads: {
        id: await connect(call, 'tiktok_ads', apps.tiktok_ads),
        account_id: tiktokAdvertiser.advertiser_id,
      },
    };
    const all = Object.values(targets);
    await runReport(call, all, 7); // warm every path once

    const alone: Record<string, { ms: number; rows: number }> = {};
    for (const [type, target] of Object.entries(targets)) alone[type] = await runReport(call, [target], 90);
    const together = await runReport(call, all, 90);
    const slowest = Math.max(...Object.values(alone).map((a) => a.ms));
    const ratio = together.ms / slowest;

    const memory: Array<{ days: number; rows: number; ms: number; peakMiB: number }> = [];
    for (const days of [30, 90, 180, 360]) {
      // A fresh host per range (same storage, so the same connections): each peak is that range's alone.
      const fresh = await startHost(hostEnv);
      try {
        const freshCall = caller(`${fresh.url}/api`, await devToken(fresh.url));
        const run = await runReport(freshCall, all, days);
        memory.push({ days, rows: run.rows, ms: run.ms, peakMiB: peakMiB(fresh.child.pid ?? 0) });
      } finally {
        await stopHost(fresh);
      }
    }

    console.log(
      `\nReports: 90 days, daily, campaign level, ${CAMPAIGNS} campaigns each, +${latencyMs} ms per platform call`,
    );
    for (const [type, a] of Object.entries(alone)) {
      console.log(`  ${type.padEnd(11)} alone   ${(a.ms / 1000).toFixed(2)} s  ${a.rows} rows`);
    }
    console.log(`  all at once          ${(together.ms / 1000).toFixed(2)} s  ${together.rows} rows`);
    console.log(
      `  all at once / slowest alone: ${ratio.toFixed(2)}× (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}) — ${cpus().length} cores`,
    );
    console.log('  host peak memory (VmHWM), a fresh host per range, all connections:');
    for (const m of memory) {
      console.log(
        `    ${String(m.days).padStart(3)} days  ${String(m.rows).padStart(6)} rows  ${(m.ms / 1000).toFixed(2)} s  peak ${m.peakMiB.toFixed(1)} MiB`,
      );
    }
    const growth = memory[memory.length - 1].peakMiB - memory[0].peakMiB;
    console.log(
      `  peak grew ${growth.toFixed(1)} MiB from 30 to 360 days (${memory[memory.length - 1].rows / memory[0].rows}× the rows)`,
    );
    return { alone, together, ratio, memory };
  } finally {
    await stopHost(host);
    await Promise.all([meta.close(), google.close(), linkedin.close(), tiktokAds.close()]);
    await azurite.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  reportsBench().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
