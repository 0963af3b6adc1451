// `npm run sandbox` as a person uses it: the built script (dist/scripts/sandbox.js) as a real process, a
// token from its development issuer, and for every connector type a connection clicked through the fake's
// consent page (Allow) to the callback, then tested; SIGTERM stops it and leaves no process behind.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { SANDBOX_APPS } from '../scripts/sandbox';
import { findDefinition } from '../src/catalog/registry';
import { Api, apiClient } from './support/api';

const ROOT = resolve(__dirname, '..');

let child: ChildProcess;
let output = '';
let dataDir: string;
let hostUrl: string;
let hostPid: number;
let api: Api;

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    const check = () => {
      const m = pattern.exec(output);
      if (!m) return false;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolveMatch(m);
      return true;
    };
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${output}`)), timeoutMs);
    if (!check()) child.stdout?.on('data', check);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** The href of the consent page's Allow link, unescaped (the page writes &#NN; entities). */
function allowHref(html: string): string {
  const m = /<a id="allow" href="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no Allow link on the consent page:\n${html.slice(0, 500)}`);
  return m[1].replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'st-sandbox-'));
  child = spawn(process.execPath, [join(ROOT, 'dist/scripts/sandbox.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      PORT: '0',
      SANDBOX_FAKES_BASE_PORT: '0',
      SANDBOX_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const ready = await waitFor(/Sandbox ready: API (http:\/\/localhost:\d+)\/api \(host pid (\d+)\)/, 60000);
  hostUrl = ready[1].replace('localhost', '127.0.0.1');
  hostPid = Number(ready[2]);
  const minted = await fetch(`${hostUrl}/.dev-issuer/token`, { method: 'POST' });
  expect(minted.status).toBe(200);
  const { access_token: token } = (await minted.json()) as { access_token: string };
  api = apiClient(`${hostUrl}/api`, token);
}, 90000);

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (hostPid && alive(hostPid)) process.kill(hostPid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run sandbox', () => {
  it('prints the API, the fakes and every sandbox app, whose config passes its schema', () => {
    expect(output).toContain(`API             ${hostUrl.replace('127.0.0.1', 'localhost')}/api`);
    expect(output.match(/^ {4}[a-z_, ]+ +http:\/\/127\.0\.0\.1:\d+$/gm)).toHaveLength(6);
    // The TikTok Ads fake's seeded advertisers, each in its currency and time zone.
    expect(output).toMatch(/^ {4}7301000000000000001 {2}EUR {2}Europe\/Berlin +50 campaigns$/m);
    expect(output).toMatch(/^ {4}7301000000000000002 {2}JPY {2}Asia\/Tokyo +12 campaigns$/m);
    expect(output).toMatch(/curl -s -X POST \$API\/v1\/connectors\/oauth /);
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    for (const app of SANDBOX_APPS) {
      expect(output).toContain(JSON.stringify(app.config));
      const def = findDefinition(app.type);
      if (!def) throw new Error(`no definition of ${app.type}`);
      const validate = ajv.compile(def.configSchema);
      expect({ type: app.type, valid: validate(app.config), errors: validate.errors ?? null }).toEqual({
        type: app.type,
        valid: true,
        errors: null,
      });
      expect(app.config[def.appCredentialFields.clientId]).toBe(app.clientId);
      expect(app.config[def.appCredentialFields.clientSecret]).toBe(app.clientSecret);
    }
  });

  it.each(SANDBOX_APPS.map((a) => a.type))(
    '%s: create → consent page → Allow → callback → active → test',
    async (type) => {
      const created = await api('POST', '/v1/connectors/oauth', { body: { connector_type: type } });
      expect(created.status).toBe(201);
      const { id, authorization_url: authorizationUrl } = created.body.data as {
        id: string;
        authorization_url: string;
      };

      // The fake asks first, like the platform's consent screen.
      const consent = await fetch(authorizationUrl, { redirect: 'manual' });
      expect(consent.status).toBe(200);
      const allow = new URL(allowHref(await consent.text()), authorizationUrl);
      expect(allow.searchParams.get('fake_consent')).toBe('allow');

      // The click: the fake redirects the browser to the service's callback.
      const granted = await fetch(allow, { redirect: 'manual' });
      expect(granted.status).toBe(302);
      const callbackUrl = new URL(granted.headers.get('location') as string);
      expect(callbackUrl.pathname).toBe('/api/v1/connectors/oauth/callback');
      const landed = await fetch(callbackUrl, { redirect: 'manual' });
      expect(landed.status).toBe(200);
      expect(landed.headers.get('content-type')).toMatch(/text\/html/);

      const got = await api('GET', `/v1/connectors/oauth/${id}`);
      expect(got.body.data).toEqual(
        expect.objectContaining({ status: 'active', connector_type: type, account_id: expect.any(String) }),
      );
      const tested = await api('POST', `/v1/connectors/oauth/${id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body.data.ok).toBe(true);
    },
  );

  it('SIGTERM stops the host and the fakes, exits 0 and leaves no process', async () => {
    const fakeUrls = [...output.matchAll(/^ {4}[a-z_, ]+ +(http:\/\/127\.0\.0\.1:\d+)$/gm)].map((m) => m[1]);
    expect(fakeUrls).toHaveLength(6);
    expect(alive(hostPid)).toBe(true);
    const exited = new Promise<number | null>((resolveExit) =>
      child.once('exit', (code) => resolveExit(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(hostPid)).toBe(false);
    expect(await answers(`${hostUrl}/api/health`)).toBe(false);
    for (const url of fakeUrls) expect(await answers(url)).toBe(false);
  }, 15000);
});
