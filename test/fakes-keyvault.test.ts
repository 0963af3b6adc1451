// Proves the Key Vault fake against the real SDKs: a child process (so NODE_EXTRA_CA_CERTS and the
// managed identity variables take effect as they would in the service) runs SecretClient with
// DefaultAzureCredential. Protocol details the SDK never exercises are checked in-process over HTTPS.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import { KEY_VAULT_RESOURCE, KeyVaultFake, STORAGE_RESOURCE, startKeyVaultFake } from './fakes/keyvault';

const ROOT = resolve(__dirname, '..');

// CommonJS run with `node -e` from the project root so that require() finds node_modules.
const CHILD = String.raw`
const { SecretClient } = require('@azure/keyvault-secrets');
const { DefaultAzureCredential } = require('@azure/identity');
const out = (step, data) => process.stdout.write(JSON.stringify({ step, ...data }) + '\n');
const fail = (e) => ({
  status: e.statusCode,
  code: e.code,
  name: e.name,
  retryAfter: e.response && e.response.headers ? e.response.headers.get('retry-after') : undefined,
});
const props = (s) => ({
  name: s.name,
  value: s.value,
  version: s.properties.version,
  id: s.properties.id,
  tags: s.properties.tags,
  contentType: s.properties.contentType,
  enabled: s.properties.enabled,
  recoveryLevel: s.properties.recoveryLevel,
  recoverableDays: s.properties.recoverableDays,
  createdOn: s.properties.createdOn && s.properties.createdOn.toISOString(),
});
async function attempt(step, fn) {
  try {
    out(step, { ok: await fn() });
  } catch (e) {
    out(step, { error: fail(e) });
  }
}
(async () => {
  const client = new SecretClient(process.env.KEY_VAULT_URL, new DefaultAzureCredential(), {
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
  if (process.env.MODE === 'protected') {
    await attempt('set', async () => props(await client.setSecret('tok-1', 'secret-1')));
    await attempt('delete', async () => {
      const poller = await client.beginDeleteSecret('tok-1', { intervalInMs: 50 });
      const d = await poller.pollUntilDone();
      return { recoveryId: d.properties.recoveryId, recoveryLevel: d.properties.recoveryLevel };
    });
    await attempt('purge', () => client.purgeDeletedSecret('tok-1').then(() => 'purged'));
    await attempt('recover', async () => {
      const poller = await client.beginRecoverDeletedSecret('tok-1', { intervalInMs: 50 });
      const r = await poller.pollUntilDone();
      return { name: r.name, version: r.version };
    });
    await attempt('get', async () => props(await client.getSecret('tok-1')));
    return;
  }
  await attempt('set1', async () =>
    props(await client.setSecret('conn-Alpha', 'v1', { tags: { tenant: 't1' }, contentType: 'text/plain' })),
  );
  await attempt('set2', async () => props(await client.setSecret('conn-alpha', 'v2')));
  await attempt('latest', async () => props(await client.getSecret('conn-alpha')));
  await attempt('firstVersion', async () => {
    const versions = [];
    for await (const p of client.listPropertiesOfSecretVersions('conn-alpha')) versions.push(p.version);
    return props(await client.getSecret('conn-alpha', { version: versions[0] }));
  });
  await attempt('missing', async () => props(await client.getSecret('no-such-secret')));
  await attempt('badName', async () => props(await client.setSecret('bad_name', 'x')));
  await attempt('tooLarge', async () => props(await client.setSecret('big', 'x'.repeat(25601))));
  await client.setSecret('conn-beta', 'b');
  await client.setSecret('conn-gamma', 'c');
  await attempt('pages', async () => {
    const pages = [];
    for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: 2 })) {
      pages.push(page.map((p) => p.name));
    }
    return pages;
  });
  await attempt('delete', async () => {
    const poller = await client.beginDeleteSecret('conn-alpha', { intervalInMs: 50 });
    const d = await poller.pollUntilDone();
    return {
      name: d.name,
      recoveryId: d.properties.recoveryId,
      deletedOn: d.properties.deletedOn && d.properties.deletedOn.toISOString(),
      scheduledPurgeDate: d.properties.scheduledPurgeDate && d.properties.scheduledPurgeDate.toISOString(),
      value: d.value,
    };
  });
  await attempt('getAfterDelete', async () => props(await client.getSecret('conn-alpha')));
  await attempt('reuseWhileDeleted', async () => props(await client.setSecret('conn-alpha', 'v3')));
  await attempt('getDeleted', async () => (await client.getDeletedSecret('conn-alpha')).name);
  await attempt('purge', () => client.purgeDeletedSecret('conn-alpha').then(() => 'purged'));
  await attempt('purgeAgain', () => client.purgeDeletedSecret('conn-alpha').then(() => 'purged'));
  await attempt('reuseAfterPurge', async () => props(await client.setSecret('conn-alpha', 'v4')));
  await attempt('throttled', async () => props(await client.getSecret('throttled-probe')));
  await attempt('unavailable', async () => props(await client.getSecret('unavailable-probe')));
  await attempt('afterFaults', async () => props(await client.getSecret('throttled-probe')));
})().catch((e) => {
  out('fatal', { error: String((e && e.stack) || e) });
  process.exitCode = 1;
});
`;

interface ChildResult {
  code: number | null;
  steps: Record<string, { ok?: unknown; error?: Record<string, unknown> }>;
  stderr: string;
}

function runChild(env: Record<string, string>, timeoutMs = 25_000): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    // A clean environment: inherited AZURE_* or IDENTITY_SERVER_THUMBPRINT would change the credential chain.
    const child = spawn(process.execPath, ['-e', CHILD], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const steps: ChildResult['steps'] = {};
      for (const line of stdout.split('\n').filter(Boolean)) {
        const { step, ...rest } = JSON.parse(line) as { step: string } & ChildResult['steps'][string];
        steps[step] = rest;
      }
      resolvePromise({ code, steps, stderr });
    });
  });
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

async function raw(
  fake: KeyVaultFake,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; contentType?: string } = {},
): Promise<RawResponse> {
  const ca = await readFile(fake.caCertPath);
  const url = new URL(path, fake.vaultUrl);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(
      url,
      {
        method,
        ca,
        agent: false,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? (JSON.parse(text) as unknown) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function miToken(
  fake: KeyVaultFake,
  resource: string,
  header: string | null = fake.identityHeader,
  apiVersion = '2019-08-01',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(fake.identityEndpoint);
  url.searchParams.set('resource', resource);
  url.searchParams.set('api-version', apiVersion);
  const res = await fetch(url, { headers: header === null ? {} : { 'X-IDENTITY-HEADER': header } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Key Vault fake with the real SecretClient and DefaultAzureCredential', () => {
  let fake: KeyVaultFake;

  beforeAll(async () => {
    fake = await startKeyVaultFake();
  });

  afterAll(async () => {
    await fake.close();
  });

  it('serves set, get, list, delete, purge and faults to a child process', async () => {
    fake.failNext('throttled', /\/secrets\/throttled-probe\//);
    fake.failNext('unavailable', /\/secrets\/unavailable-probe\//);
    const { code, steps, stderr } = await runChild(fake.env());
    expect({ code, fatal: steps.fatal, stderr }).toEqual({ code: 0, fatal: undefined, stderr: '' });

    const set1 = steps.set1.ok as Record<string, unknown>;
    expect(set1).toMatchObject({
      name: 'conn-Alpha',
      value: 'v1',
      tags: { tenant: 't1' },
      enabled: true,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    });
    expect(set1.version).toMatch(/^[0-9a-f]{32}$/);
    // SecretClient 4.11 drops the contentType option before serialising the body
    // (Azure/azure-sdk-for-js#38300): nothing reaches the vault, so the service cannot rely on it.
    expect(set1.contentType).toBeUndefined();
    expect(set1.id).toBe(`${fake.vaultUrl}/secrets/conn-Alpha/${String(set1.version)}`);
    // Names are case-insensitive: the second write is a new version of the same secret.
    const set2 = steps.set2.ok as Record<string, unknown>;
    expect(set2.name).toBe('conn-Alpha');
    expect(set2.version).not.toBe(set1.version);
    expect(steps.latest.ok).toMatchObject({ value: 'v2', version: set2.version });
    expect(steps.firstVersion.ok).toMatchObject({
      value: 'v1',
      version: set1.version,
      tags: { tenant: 't1' },
    });

    expect(steps.missing.error).toMatchObject({ name: 'RestError', status: 404, code: 'SecretNotFound' });
    expect(steps.badName.error).toMatchObject({ status: 400, code: 'BadParameter' });
    expect(steps.tooLarge.error).toMatchObject({ status: 400, code: 'BadParameter' });
    expect(steps.pages.ok).toEqual([['conn-Alpha', 'conn-beta'], ['conn-gamma']]);

    expect(steps.delete.ok).toMatchObject({
      name: 'conn-Alpha',
      recoveryId: `${fake.vaultUrl}/deletedsecrets/conn-Alpha`,
    });
    const deleted = steps.delete.ok as Record<string, string | undefined>;
    expect(deleted.value).toBeUndefined();
    expect(Date.parse(deleted.scheduledPurgeDate ?? '') - Date.parse(deleted.deletedOn ?? '')).toBe(
      90 * 86400_000,
    );
    expect(steps.getAfterDelete.error).toMatchObject({ status: 404, code: 'SecretNotFound' });
    expect(steps.reuseWhileDeleted.error).toMatchObject({ status: 409, code: 'Conflict' });
    expect(steps.getDeleted.ok).toBe('conn-Alpha');
    expect(steps.purge.ok).toBe('purged');
    expect(steps.purgeAgain.error).toMatchObject({ status: 404 });
    expect(steps.reuseAfterPurge.ok).toMatchObject({ value: 'v4' });

    expect(steps.throttled.error).toMatchObject({ status: 429, code: 'Throttled', retryAfter: '1' });
    expect(steps.unavailable.error).toMatchObject({ status: 503, code: 'ServiceUnavailable' });
    expect(steps.afterFaults.error).toMatchObject({ status: 404 });

    // The client learned the authority from one challenge, then used one managed identity token.
    expect(fake.stats.challenges).toBe(1);
    expect(fake.stats.requests[0]).toMatchObject({ method: 'PUT', path: '/secrets/conn-Alpha', status: 401 });
    expect(fake.stats.requests.filter((r) => !r.authorized)).toHaveLength(1);
    expect(fake.stats.tokenRequests).toEqual({ [KEY_VAULT_RESOURCE]: 1 });
    expect(fake.stats.identityRequests).toEqual([{ resource: KEY_VAULT_RESOURCE, status: 200 }]);
    expect(fake.stats.byRoute['DELETE /deletedsecrets/conn-alpha']).toBe(2);

    const state = fake.secrets();
    expect(Object.keys(state).sort()).toEqual(['conn-alpha', 'conn-beta', 'conn-gamma']);
    expect(state['conn-alpha'].versions.map((v) => v.value)).toEqual(['v4']);
    expect(state['conn-beta']).toMatchObject({ deleted: false, versions: [{ value: 'b', enabled: true }] });
  });

  it('answers the challenge, rejects foreign tokens and unknown api versions', async () => {
    const challenge = await raw(fake, 'GET', '/secrets/x/?api-version=2025-07-01');
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${fake.tenantId}", resource="https://vault.azure.net"`,
    );

    const forged = await raw(fake, 'GET', '/secrets/x/?api-version=2025-07-01', { token: 'not-issued' });
    expect(forged.status).toBe(401);

    const storage = await miToken(fake, STORAGE_RESOURCE);
    expect(storage.status).toBe(200);
    const wrongAudience = await raw(fake, 'GET', '/secrets/x/?api-version=2025-07-01', {
      token: String(storage.body.access_token),
    });
    expect(wrongAudience.status).toBe(401);

    const vault = await miToken(fake, KEY_VAULT_RESOURCE);
    const token = String(vault.body.access_token);
    const oldVersion = await raw(fake, 'GET', '/secrets/x/?api-version=7.4', { token });
    expect(oldVersion).toMatchObject({ status: 400, body: { error: { code: 'BadParameter' } } });
    const noVersion = await raw(fake, 'GET', '/secrets/x/', { token });
    expect(noVersion.status).toBe(400);

    const typed = await raw(fake, 'PUT', '/secrets/typed?api-version=2025-07-01', {
      token,
      body: { value: 'x', contentType: 'application/json', attributes: { enabled: true } },
    });
    expect(typed).toMatchObject({ status: 200, body: { value: 'x', contentType: 'application/json' } });
    expect(fake.secrets().typed.versions[0].contentType).toBe('application/json');
    const plain = await raw(fake, 'PUT', '/secrets/typed?api-version=2025-07-01', {
      token,
      body: { value: 'y' },
      contentType: 'text/plain',
    });
    expect(plain.status).toBe(415);
    const untyped = await raw(fake, 'PUT', '/secrets/typed?api-version=2025-07-01', { token, body: 'text' });
    expect(untyped.status).toBe(400);

    fake.setSecret('seeded', 'seed-value', { tags: { a: 'b' } });
    const noSlash = await raw(fake, 'GET', '/secrets/seeded?api-version=2025-07-01', { token });
    expect(noSlash).toMatchObject({ status: 200, body: { value: 'seed-value', tags: { a: 'b' } } });

    const disable = await raw(fake, 'PATCH', '/secrets/seeded/?api-version=2025-07-01', {
      token,
      body: { attributes: { enabled: false } },
    });
    expect(disable).toMatchObject({ status: 200, body: { attributes: { enabled: false } } });
    expect((disable.body as Record<string, unknown>).value).toBeUndefined();
    const disabled = await raw(fake, 'GET', '/secrets/seeded/?api-version=2025-07-01', { token });
    expect(disabled).toMatchObject({ status: 403, body: { error: { code: 'Forbidden' } } });

    const tooManyTags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    const tags = await raw(fake, 'PUT', '/secrets/tagged?api-version=2025-07-01', {
      token,
      body: { value: 'v', tags: tooManyTags },
    });
    expect(tags.status).toBe(400);
  });

  it('issues managed identity tokens only with the right header and api-version', async () => {
    const before = fake.stats.tokenRequests[STORAGE_RESOURCE] ?? 0;
    const ok = await miToken(fake, STORAGE_RESOURCE);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      resource: STORAGE_RESOURCE,
      token_type: 'Bearer',
      client_id: fake.clientId,
    });
    expect(Number(ok.body.expires_on)).toBeGreaterThan(Date.now() / 1000);
    expect(typeof ok.body.expires_on).toBe('string');
    // JWT-shaped with the claims Azurite's --oauth basic checks (audience, sts.windows.net issuer, lifetime).
    const claims = JSON.parse(
      Buffer.from(String(ok.body.access_token).split('.')[1], 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(claims).toMatchObject({
      aud: STORAGE_RESOURCE,
      iss: `https://sts.windows.net/${fake.tenantId}/`,
      tid: fake.tenantId,
      appid: fake.clientId,
    });
    expect(fake.stats.tokenRequests[STORAGE_RESOURCE]).toBe(before + 1);

    expect((await miToken(fake, STORAGE_RESOURCE, null)).status).toBe(400);
    expect((await miToken(fake, STORAGE_RESOURCE, 'wrong')).status).toBe(401);
    expect((await miToken(fake, STORAGE_RESOURCE, fake.identityHeader, '2017-09-01')).status).toBe(400);
    expect(fake.stats.tokenRequests[STORAGE_RESOURCE]).toBe(before + 1);
  });
});

describe('Key Vault fake with purge protection and a deletion delay', () => {
  let fake: KeyVaultFake;

  beforeAll(async () => {
    fake = await startKeyVaultFake({ purgeProtection: true, deletionLagMs: 150 });
  });

  afterAll(async () => {
    await fake.close();
  });

  it('makes the delete poller wait, refuses purge and allows recovery', async () => {
    const { code, steps, stderr } = await runChild({ ...fake.env(), MODE: 'protected' });
    expect({ code, fatal: steps.fatal, stderr }).toEqual({ code: 0, fatal: undefined, stderr: '' });
    expect(steps.set.ok).toMatchObject({ recoveryLevel: 'Recoverable', value: 'secret-1' });
    expect(steps.delete.ok).toMatchObject({ recoveryLevel: 'Recoverable' });
    expect(steps.purge.error).toMatchObject({ status: 403, code: 'Forbidden' });
    expect(steps.recover.ok).toMatchObject({ name: 'tok-1' });
    expect(steps.get.ok).toMatchObject({ value: 'secret-1' });

    // While the deletion was in progress the poller saw 404 before the deleted secret appeared.
    const polls = fake.stats.requests.filter((r) => r.method === 'GET' && r.path === '/deletedsecrets/tok-1');
    expect(polls.map((r) => r.status)).toContain(404);
    expect(polls[polls.length - 1].status).toBe(200);
  });
});

describe('Key Vault fake lifecycle', () => {
  it('removes its certificate directory and stops listening on close', async () => {
    const fake = await startKeyVaultFake();
    expect(existsSync(fake.caCertPath)).toBe(true);
    expect(existsSync(fake.tlsKeyPath)).toBe(true);
    await fake.close();
    await fake.close();
    expect(existsSync(fake.caCertPath)).toBe(false);
    expect(existsSync(fake.tlsKeyPath)).toBe(false);
    await expect(raw(fake, 'GET', '/secrets')).rejects.toThrow(/ENOENT/);
    await expect(fetch(fake.identityEndpoint)).rejects.toThrow();
  });
});
