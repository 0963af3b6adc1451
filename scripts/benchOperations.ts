// The operations part of `npm run bench`: a query round trip through the API (local host → Meta fake) against
// the same insights call made straight to the fake, in the same run. Target: the API adds at most 5 ms at
// the median. Environment: BENCH_OPS_REQUESTS (default 300), BENCH_HOST_NODE_ARGS (node flags for the host,
// e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAzurite } from '../host/azurite';
import { META_SEED, MetaFake } from '../test/fakes/meta';

const ROOT = resolve(__dirname, '..', '..');
const TARGET_OVERHEAD_MS = 5;
const APP = { app_id: '5555555555', app_secret: 'bench-meta-secret-0123456789' };
const ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const QUERY = {
  fields: ['impressions', 'clicks', 'spend'],
  level: 'campaign',
  date_preset: 'last_7d',
  limit: 25,
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function timed(work: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const res = await work();
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return performance.now() - started;
}

export function startHost(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const nodeArgs = (process.env.BENCH_HOST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/host/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolveStart, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (m) resolveStart({ child, url: m[1].replace('localhost', '127.0.0.1') });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`host exited with ${code}: ${out}`)));
  });
}

/** A user token straight from the fake, through its own authorize and token endpoints. */
async function directToken(env: Record<string, string>): Promise<string> {
  const authorize = new URL(env.CONNECTOR_META_AUTHORIZE_URL);
  const redirectUri = 'http://127.0.0.1/bench-callback';
  authorize.search = new URLSearchParams({
    client_id: APP.app_id,
    redirect_uri: redirectUri,
    state: 'bench-state-0123456789',
    response_type: 'code',
    scope: 'ads_read',
  }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const token = new URL(env.CONNECTOR_META_TOKEN_URL);
  token.search = new URLSearchParams({
    client_id: APP.app_id,
    client_secret: APP.app_secret,
    redirect_uri: redirectUri,
    code,
  }).toString();
  const body = (await (await fetch(token)).json()) as { access_token: string };
  return body.access_token;
}

export async function operationsBench(): Promise<{
  apiMedian: number;
  directMedian: number;
  overhead: number;
}> {
  const requests = Number(process.env.BENCH_OPS_REQUESTS ?? 300);
  const meta = await MetaFake.start();
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  const dataDir = mkdtempSync(join(tmpdir(), 'st-bench-ops-'));
  const env = meta.env();
  // Storage is up before the host, outside it, as Table Storage is in Azure (the catalog bench does the same).
  const azurite = await startAzurite(undefined);
  const host = await startHost({
    PATH: process.env.PATH,
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warning',
    TABLES_CONNECTION_STRING: azurite.connectionString,
    ...env,
  });
  try {
    const api = `${host.url}/api`;
    const tokenRes = await fetch(`${host.url}/.dev-issuer/token`, { method: 'POST' });
    const bearer = ((await tokenRes.json()) as { access_token: string }).access_token;
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
    const config = (await (
      await call('POST', '/v1/connectors/configs', { name: 'bench', connector_type: 'meta', config: APP })
    ).json()) as { data: { id: string } };
    const created = (await (
      await call('POST', '/v1/connectors/oauth', { connector_type: 'meta', config_id: config.data.id })
    ).json()) as {
      data: { id: string; authorization_url: string };
    };
    const consent = await fetch(created.data.authorization_url, { redirect: 'manual' });
    await (await fetch(consent.headers.get('location') ?? '', { redirect: 'manual' })).arrayBuffer();
    const ops = `/v1/connectors/operations/${created.data.id}`;
    const account = await call('POST', `${ops}/account`, { account_id: ACCOUNT });
    const session = ((await account.json()) as { metadata: { session_id: string } }).metadata.session_id;

    const direct = await directToken(env);
    const directUrl = new URL(`${env.CONNECTOR_META_API_URL}/${ACCOUNT}/insights`);
    directUrl.search = new URLSearchParams({
      fields: QUERY.fields.join(','),
      level: QUERY.level,
      date_preset: QUERY.date_preset,
      limit: '25',
    }).toString();

    const viaApi: number[] = [];
    const straight: number[] = [];
    // Warm both paths, then alternate so a slow spell of the machine hits both alike.
    for (let i = 0; i < 20; i++) {
      await timed(() => call('POST', `${ops}/query`, { query: QUERY }, { 'x-session-id': session }));
      await timed(() => fetch(directUrl, { headers: { authorization: `Bearer ${direct}` } }));
    }
    for (let i = 0; i < requests; i++) {
      viaApi.push(
        await timed(() => call('POST', `${ops}/query`, { query: QUERY }, { 'x-session-id': session })),
      );
      straight.push(await timed(() => fetch(directUrl, { headers: { authorization: `Bearer ${direct}` } })));
    }
    const apiMedian = percentile(viaApi, 50);
    const directMedian = percentile(straight, 50);
    const overhead = apiMedian - directMedian;
    console.log(
      `\nOperations: query round trip, ${requests} sequential requests each (Meta insights, 25 rows)`,
    );
    console.log(
      `  through the API  p50 ${apiMedian.toFixed(2)} ms  p95 ${percentile(viaApi, 95).toFixed(2)} ms`,
    );
    console.log(
      `  direct to fake   p50 ${directMedian.toFixed(2)} ms  p95 ${percentile(straight, 95).toFixed(2)} ms`,
    );
    console.log(
      `  added by the API at the median: ${overhead.toFixed(2)} ms (target ≤ ${TARGET_OVERHEAD_MS} ms: ${overhead <= TARGET_OVERHEAD_MS ? 'met' : 'NOT met'}) — ${cpus().length} cores`,
    );
    return { apiMedian, directMedian, overhead };
  } finally {
    host.child.kill('SIGTERM');
    await new Promise((r) => host.child.once('exit', r));
    await meta.close();
    await azurite.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  operationsBench().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
