// `npm run sandbox` as a person uses it: the npm script as a real process, a token from its development
// issuer, and for every connector type a connection clicked through the fake's consent page (Allow) to the
// callback, then tested, then the guide's operations with the seeded ids; SIGTERM to npm stops it and leaves
// no process behind; started again on the same data, every connection still works.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { SANDBOX_APPS } from '../scripts/sandbox';
import { executeLine, SANDBOX_GUIDE } from '../scripts/sandboxGuide';
import { findDefinition } from '../src/platforms/registry/definitions';
import { Api, apiClient } from './support/api';

const ROOT = resolve(__dirname, '..');

let child: ChildProcess;
let output = '';
let dataDir: string;
let hostUrl: string;
let hostPid: number;
let api: Api;
/** The connection made for each type, kept for the restart. */
const connected = new Map<string, string>();

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

/** Starts `npm run sandbox` as a person does (the npm script, so SIGTERM reaches it through npm). */
async function startSandbox(): Promise<void> {
  output = '';
  child = spawn('npm', ['run', 'sandbox'], {
    cwd: ROOT,
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
  const ready = await waitFor(/Sandbox ready: API (http:\/\/localhost:\d+)\/api \(host pid (\d+)\)/, 100000);
  hostUrl = ready[1].replace('localhost', '127.0.0.1');
  hostPid = Number(ready[2]);
  const minted = await fetch(`${hostUrl}/.dev-issuer/token`, { method: 'POST' });
  expect(minted.status).toBe(200);
  const { access_token: token } = (await minted.json()) as { access_token: string };
  api = apiClient(`${hostUrl}/api`, token);
}

/** SIGTERM to npm: the sandbox, its host and its fakes stop; resolves with npm's exit code. */
function stopSandbox(): Promise<number | null> {
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  child.kill('SIGTERM');
  return exited;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'st-sandbox-'));
  await startSandbox();
}, 120000);

afterAll(async () => {
  // SIGTERM first: it reaches the sandbox through npm, which stops its host and fakes (SIGKILL would not).
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const stuck = setTimeout(() => child.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(stuck);
  }
  if (hostPid && alive(hostPid)) process.kill(hostPid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}, 30000);

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
      connected.set(type, id);

      // Reloading the success page (its code and state are spent) does not send the person back to start.
      const reloaded = await fetch(callbackUrl, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(reloaded.status).toBe(400);
      const text = await reloaded.text();
      expect(text).toMatch(/already set up/);
      expect(text).not.toMatch(/start (the connection )?again|start over/i);
    },
  );

  it.each(SANDBOX_APPS.map((a) => a.type))(
    '%s: the guide’s account, query (rows), next_page, report and execute work with the seeded ids',
    async (type) => {
      const id = connected.get(type);
      if (!id) throw new Error(`no ${type} connection`);
      const guide = SANDBOX_GUIDE[type];
      const ops = (what: string) => `/v1/connectors/operations/${id}/${what}`;
      const opened = await api('GET', ops('metadata'));
      expect(opened.status).toBe(200);
      const session = { 'x-session-id': opened.body.metadata.session_id as string };
      if (guide.account_id) {
        const account = await api('POST', ops('account'), {
          body: { account_id: guide.account_id },
          headers: session,
        });
        expect({ status: account.status, body: account.body }).toEqual(
          expect.objectContaining({ status: 200 }),
        );
      }
      const query = await api('POST', ops('query'), { body: { query: guide.query }, headers: session });
      expect({ status: query.status, error: query.body.error }).toEqual({ status: 200, error: undefined });
      expect(query.body.data.rows.length).toBeGreaterThan(0);
      const next = await api('POST', ops('message'), { body: { type: 'next_page' }, headers: session });
      if (guide.nextPage === 'rows') {
        expect({ status: next.status, error: next.body.error }).toEqual({ status: 200, error: undefined });
        expect(next.body.data.rows.length).toBeGreaterThan(0);
      } else {
        expect(next.status).toBe(409);
        expect(next.body.code).toBe('no_next_page');
      }
      if (guide.report) {
        const reported = await api('POST', ops('query'), {
          body: { report: guide.report },
          headers: session,
        });
        expect({ status: reported.status, error: reported.body.error }).toEqual({
          status: 200,
          error: undefined,
        });
        expect(reported.body.data.rows.length).toBeGreaterThan(0);
        expect(reported.body.data.rows[0]).toEqual(
          expect.objectContaining({ platform: type, account_id: guide.report.account_id }),
        );
      }
      if ('none' in guide.execute) {
        // A type without execute operations: any operation answers 400 saying it has none.
        const refused = await api('POST', ops('execute'), {
          body: { operation: 'publish_post', params: {} },
          headers: session,
        });
        expect({ status: refused.status, error: refused.body.error }).toEqual({
          status: 400,
          error: `${type} has no execute operations: it only reads (POST …/query with a query or a report).`,
        });
      } else {
        const { accepted, ...body } = guide.execute;
        const executed = await api('POST', ops('execute'), { body, headers: session });
        expect({ status: executed.status, error: executed.body.error }).toEqual({
          status: accepted ? 202 : 200,
          error: undefined,
        });
      }
    },
  );

  it('prints the guide of every type with its seeded ids', () => {
    for (const app of SANDBOX_APPS) {
      const guide = SANDBOX_GUIDE[app.type];
      expect(output).toContain(JSON.stringify({ query: guide.query }));
      if (guide.report) expect(output).toContain(JSON.stringify({ report: guide.report }));
      expect(output).toContain(executeLine(guide.execute));
    }
  });

  it('the README walk-through runs as written (only the port is this sandbox’s)', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- walk-through[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error('no walk-through block in README.md');
    const port = new URL(hostUrl).port;
    const script = block.replace(/http:\/\/localhost:7071/g, `http://localhost:${port}`);
    const out = await new Promise<string>((resolveRun, reject) => {
      execFile(
        'bash',
        ['-c', script],
        { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: port }, timeout: 120000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}\n${stdout}`)) : resolveRun(stdout),
      );
    });
    expect(out).toContain('<h1>Connected</h1>');
    expect(out).toMatch(/"app_secret":"sand\*+cret"/);
    expect(out).toMatch(/"status":"active"/);
    expect(out).toMatch(/"ok":true/);
    expect(out).toMatch(/"rows":\[\{"campaign_name":"[^"]+"/);
    expect(out).toMatch(/"next_cursor":"cur_/);
    expect(out).not.toMatch(/"success":false/);
  }, 150000);

  it('SIGTERM to npm stops the host and the fakes, exits 0 and leaves no process', async () => {
    const fakeUrls = [...output.matchAll(/^ {4}[a-z_, ]+ +(http:\/\/127\.0\.0\.1:\d+)$/gm)].map((m) => m[1]);
    expect(fakeUrls).toHaveLength(6);
    expect(alive(hostPid)).toBe(true);
    expect(await stopSandbox()).toBe(0);
    expect(alive(hostPid)).toBe(false);
    expect(await answers(`${hostUrl}/api/health`)).toBe(false);
    for (const url of fakeUrls) expect(await answers(url)).toBe(false);
  }, 30000);

  it('a restarted sandbox keeps every saved connection working (the fakes remember their grants)', async () => {
    await startSandbox();
    expect(output).toMatch(/fakes’ grants from the last run kept/);
    for (const [type, id] of connected) {
      const tested = await api('POST', `/v1/connectors/oauth/${id}/test`);
      expect({ type, status: tested.status, ok: tested.body.data?.ok }).toEqual({
        type,
        status: 200,
        ok: true,
      });
      // A renewal needs the refresh token the fake issued before the restart (TikTok Ads tokens have none).
      const refreshed = await api('POST', `/v1/connectors/oauth/${id}/refresh`);
      const renewable = findDefinition(type)?.oauth.refresh !== 'none';
      expect({ type, status: refreshed.status, code: refreshed.body.code }).toEqual(
        renewable
          ? { type, status: 200, code: undefined }
          : { type, status: 409, code: 'refresh_not_supported' },
      );
    }
    expect(await stopSandbox()).toBe(0);
  }, 150000);
});
