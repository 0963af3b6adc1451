// `npm run soak` (not part of npm test): the local host under a steady, bounded, mixed load, sampled every
// minute: the host's RSS and heap, and p50/p99 latency of that minute's requests. It ends by saying whether
// memory and latency stayed flat. Only loopback is ever a target.
// Settings: SOAK_SECONDS (default 600), SOAK_SAMPLE_SECONDS (default 60), SOAK_RATE (requests a second, default
// 60), SOAK_WORKERS (concurrent clients, default 4).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startAzurite } from '../host/azurite';
import { META_SEED, MetaFake } from '../test/fakes/meta';
import { startHost } from './benchOperations';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 60);
const RATE = Number(process.env.SOAK_RATE ?? 60);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 4);
/** A hard stop on the request count, whatever the clock says. */
const MAX_REQUESTS = Math.ceil(RATE * SECONDS * 1.1);
const APP = { app_id: '6666666666', app_secret: 'soak-meta-secret-0123456789' };
const ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;

interface Sample {
  minute: number;
  requests: number;
  p50: number;
  p99: number;
  rssMb: number;
  heapMb: number;
  errors5xx: number;
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

async function main(): Promise<void> {
  const meta = await MetaFake.start();
  meta.addApp({ clientId: APP.app_id, clientSecret: APP.app_secret });
  const dataDir = mkdtempSync(join(tmpdir(), 'st-soak-'));
  const azurite = await startAzurite(undefined);
  const probe = resolve(__dirname, 'soakProbe.js');
  const host = await startHost({
    PATH: process.env.PATH,
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warning',
    NODE_OPTIONS: `--require ${probe}`,
    SOAK_PROBE_MS: '5000',
    TABLES_CONNECTION_STRING: azurite.connectionString,
    ...meta.env(),
  });
  let memory = { rss: 0, heapUsed: 0 };
  host.child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.includes('"soak_memory"')) continue;
      try {
        memory = JSON.parse(line) as typeof memory;
      } catch {
        // a line split across chunks: the next sample comes in five seconds
      }
    }
  });
  try {
    const api = `${host.url}/api`;
    const bearer = (
      (await (await fetch(`${host.url}/.dev-issuer/token`, { method: 'POST' })).json()) as {
        access_token: string;
      }
    ).access_token;
    const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        redirect: 'manual',
      });
    const json = async <T>(res: Promise<Response>) => (await (await res).json()) as T;

    // One active Meta connection for the operations share of the load.
    const config = await json<{ data: { id: string } }>(
      call('POST', '/v1/connectors/configs', { name: 'soak', connector_type: 'meta', config: APP }),
    );
    const created = await json<{ data: { id: string; authorization_url: string } }>(
      call('POST', '/v1/connectors/oauth', { connector_type: 'meta', config_id: config.data.id }),
    );
    const consent = await fetch(created.data.authorization_url, { redirect: 'manual' });
    await (await fetch(consent.headers.get('location') ?? '', { redirect: 'manual' })).arrayBuffer();
    const ops = `/v1/connectors/operations/${created.data.id}`;
    const session = (
      await json<{ metadata: { session_id: string } }>(
        call('POST', `${ops}/account`, { account_id: ACCOUNT }),
      )
    ).metadata.session_id;

    // The mix: each entry is one unit of work (some are several requests); weights are how often it is picked.
    const mix: Array<[number, () => Promise<Response[]>]> = [
      [4, async () => [await call('GET', '/v1/connectors')]],
      [2, async () => [await call('GET', '/v1/connectors/meta')]],
      [
        2,
        async () => {
          const made = await call('POST', '/v1/connectors/configs', {
            name: 'soak-config',
            connector_type: 'linkedin',
            config: { client_id: 'soakclient', client_secret: 'soak-linkedin-secret-0123456789' },
          });
          const id = ((await made.clone().json()) as { data?: { id: string } }).data?.id;
          if (!id) return [made];
          return [
            made,
            await call('GET', `/v1/connectors/configs/${id}/config`),
            await call('PATCH', `/v1/connectors/configs/${id}`, { name: 'soak-config-renamed' }),
            await call('DELETE', `/v1/connectors/configs/${id}`),
          ];
        },
      ],
      [2, async () => [await call('GET', '/v1/connectors/configs?limit=20')]],
      [
        1,
        async () => {
          const made = await call('POST', '/v1/connectors/oauth', {
            connector_type: 'meta',
            config_id: config.data.id,
          });
          const id = ((await made.clone().json()) as { data?: { id: string } }).data?.id;
          return id ? [made, await call('DELETE', `/v1/connectors/oauth/${id}`)] : [made];
        },
      ],
      [2, async () => [await call('GET', `/v1/connectors/oauth/${created.data.id}`)]],
      [
        3,
        async () => [
          await call(
            'POST',
            `${ops}/query`,
            {
              query: {
                resource: 'insights',
                fields: ['impressions', 'clicks', 'spend'],
                level: 'campaign',
                date_preset: 'last_7d',
                limit: 25,
              },
            },
            { 'x-session-id': session },
          ),
        ],
      ],
      [1, async () => [await call('GET', `${ops}/state`, undefined, { 'x-session-id': session })]],
      // The invalid slice: a bad token, malformed JSON, an unknown route, a too-deep body.
      [
        1,
        async () => [await call('GET', '/v1/connectors', undefined, { authorization: 'Bearer not.a.token' })],
      ],
      [1, async () => [await call('POST', '/v1/connectors/configs', '{"name": ')]],
      [1, async () => [await call('GET', '/v1/nothing-here')]],
      [1, async () => [await call('POST', '/v1/connectors/oauth', '['.repeat(100) + ']'.repeat(100))]],
    ];
    const totalWeight = mix.reduce((n, [w]) => n + w, 0);
    const pick = () => {
      let r = Math.random() * totalWeight;
      for (const [w, work] of mix) if ((r -= w) < 0) return work;
      return mix[0][1];
    };

    const started = Date.now();
    const deadline = started + SECONDS * 1000;
    const samples: Sample[] = [];
    let latencies: number[] = [];
    let errors5xx = 0;
    let sent = 0;
    const intervalMs = (1000 * WORKERS) / RATE;
    const worker = async () => {
      while (Date.now() < deadline && sent < MAX_REQUESTS) {
        const begin = performance.now();
        const responses = await pick()();
        const elapsed = performance.now() - begin;
        for (const res of responses) {
          sent += 1;
          if (res.status >= 500) errors5xx += 1;
          if (!res.bodyUsed) await res.arrayBuffer();
        }
        latencies.push(elapsed / responses.length);
        const pause = intervalMs * responses.length - elapsed;
        if (pause > 0) await new Promise((r) => setTimeout(r, pause));
      }
    };
    const sampler = setInterval(() => {
      samples.push({
        minute: samples.length + 1,
        requests: latencies.length,
        p50: Math.round(percentile(latencies, 50) * 100) / 100,
        p99: Math.round(percentile(latencies, 99) * 100) / 100,
        rssMb: mb(memory.rss),
        heapMb: mb(memory.heapUsed),
        errors5xx,
      });
      const s = samples[samples.length - 1];
      console.log(
        `sample ${s.minute}: ${s.requests} units, p50 ${s.p50} ms, p99 ${s.p99} ms, host RSS ${s.rssMb} MB, heap ${s.heapMb} MB, 5xx ${s.errors5xx}`,
      );
      latencies = [];
      errors5xx = 0;
    }, SAMPLE_SECONDS * 1000);
    await Promise.all(Array.from({ length: WORKERS }, worker));
    clearInterval(sampler);

    // Flat: after the first (warm-up) sample, memory and p99 at the end stay within bounds of the start.
    // Each end is the median of up to three samples, so one garbage collection does not decide the verdict.
    const steady = samples.slice(1);
    const median = (part: Sample[]): Sample | undefined =>
      part.length === 0
        ? undefined
        : {
            ...part[0],
            rssMb: percentile(
              part.map((s) => s.rssMb),
              50,
            ),
            heapMb: percentile(
              part.map((s) => s.heapMb),
              50,
            ),
            p99: percentile(
              part.map((s) => s.p99),
              50,
            ),
          };
    const first = median(steady.slice(0, 3));
    const last = median(steady.slice(-3));
    const total5xx = samples.reduce((n, s) => n + s.errors5xx, 0);
    console.log(
      `\nSoak: ${sent} requests over ${Math.round((Date.now() - started) / 1000)} s, ${WORKERS} clients, ~${RATE}/s`,
    );
    if (!first || !last) {
      console.log(
        'Too short to judge (needs at least two samples): set SOAK_SECONDS ≥ 2 × SOAK_SAMPLE_SECONDS.',
      );
      return;
    }
    const rssGrowth = (last.rssMb - first.rssMb) / first.rssMb;
    const heapGrowth = (last.heapMb - first.heapMb) / first.heapMb;
    const p99Ratio = last.p99 / Math.max(first.p99, 0.01);
    const memoryFlat = rssGrowth < 0.2 && heapGrowth < 0.25;
    const latencyFlat = p99Ratio < 2;
    console.log(
      `memory: RSS ${first.rssMb} → ${last.rssMb} MB (${(rssGrowth * 100).toFixed(1)} %), heap ${first.heapMb} → ${last.heapMb} MB (${(heapGrowth * 100).toFixed(1)} %): ${memoryFlat ? 'flat' : 'GROWING'}`,
    );
    console.log(
      `latency: p99 ${first.p99} → ${last.p99} ms (×${p99Ratio.toFixed(2)}): ${latencyFlat ? 'flat' : 'GROWING'}`,
    );
    console.log(`5xx answers: ${total5xx}`);
    if (!memoryFlat || !latencyFlat || total5xx > 0) process.exitCode = 1;
  } finally {
    host.child.kill('SIGTERM');
    await new Promise((r) => host.child.once('exit', r));
    await meta.close();
    await azurite.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
