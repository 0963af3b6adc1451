// The first hour, as a new user meets it: `npm start` as the npm script it is (an IDE's stop button sends
// SIGTERM to npm, and nothing may be left running), a host on loopback only, `npm run token` and its
// options, and settings that cannot work stopping the start with a message naming them.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTokenArgs } from '../scripts/token';

const ROOT = resolve(__dirname, '..');
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test' };

let npm: ChildProcess;
let output = '';
let dataDir: string;
let port: number;
let azuritePort: number;

function waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveMatch, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${output}`)), timeoutMs);
    const check = () => {
      const m = pattern.exec(output);
      if (!m) return;
      clearTimeout(timer);
      npm.stdout?.off('data', check);
      resolveMatch(m);
    };
    npm.stdout?.on('data', check);
    check();
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

function run(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...baseEnv, ...env } }, (err, stdout, stderr) => {
      resolveRun({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'st-first-hour-'));
  npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...baseEnv, PORT: '0', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  npm.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  npm.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const m = await waitFor(
    /listening on http:\/\/localhost:(\d+)\/api \(bound to ([^)]+)\).*Azurite on 127\.0\.0\.1:(\d+)/,
    110000,
  );
  port = Number(m[1]);
  expect(m[2]).toBe('127.0.0.1');
  azuritePort = Number(m[3]);
}, 120000);

afterAll(async () => {
  // SIGTERM reaches the host through npm (SIGKILL would leave the exec'd host running); SIGKILL only if stuck.
  if (npm.exitCode === null && npm.signalCode === null) {
    const exited = new Promise((r) => npm.once('exit', r));
    npm.kill('SIGTERM');
    const stuck = setTimeout(() => npm.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(stuck);
  }
  rmSync(dataDir, { recursive: true, force: true });
}, 30000);

describe('npm start', () => {
  it('listens on loopback only', async () => {
    expect(await answers(`http://127.0.0.1:${port}/api/health`)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) expect(await answers(`http://${external.address}:${port}/api/health`)).toBe(false);
  });

  it('npm run token mints a token for the tenant and scope asked', async () => {
    const minted = await run(
      [
        'dist/scripts/token.js',
        '--tenant',
        '33333333-3333-4333-8333-333333333333',
        '--scope',
        'Connectors.Read',
      ],
      { PORT: String(port) },
    );
    expect(minted.code).toBe(0);
    expect(claimsOf(minted.stdout.trim())).toEqual(
      expect.objectContaining({ tid: '33333333-3333-4333-8333-333333333333', scp: 'Connectors.Read' }),
    );
    const plain = await run(['dist/scripts/token.js'], { PORT: String(port) });
    expect(claimsOf(plain.stdout.trim())).toEqual(
      expect.objectContaining({ tid: '00000000-0000-4000-8000-000000000001', scp: 'Connectors.ReadWrite' }),
    );
  });

  it('SIGTERM to npm stops the host and its Azurite: nothing is left answering', async () => {
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)));
    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM received: stopping');
    expect(await answers(`http://127.0.0.1:${port}/api/health`)).toBe(false);
    expect(await answers(`http://127.0.0.1:${azuritePort}/`)).toBe(false);
  }, 30000);
});

describe('npm run token', () => {
  it('--help prints the usage and mints nothing, also when npm kept --help for itself', async () => {
    const help = await run(['dist/scripts/token.js', '--help'], { PORT: '9' });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run --silent token/);
    expect(parseTokenArgs([], { npm_config_help: 'true' })).toBeUndefined();
    expect(parseTokenArgs(['-h'], {})).toBeUndefined();
  });

  it('refuses unknown options, typos and options npm took for itself', async () => {
    const typo = await run(['dist/scripts/token.js', '--scopes', 'Connectors.Read'], { PORT: '9' });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/Unknown option --scopes \(did you mean --scope\?\)/);
    expect(() => parseTokenArgs(['--bogus-flag', 'x'], {})).toThrow(/Unknown option --bogus-flag\./);
    expect(() => parseTokenArgs(['--tenant'], {})).toThrow(/--tenant needs a value/);
    expect(() => parseTokenArgs(['--expires-in', 'soon'], {})).toThrow(/whole number of seconds/);
    expect(() => parseTokenArgs([], { npm_config_scopes: 'Connectors.Read' })).toThrow(
      /npm took --scopes for itself; put token options after "--"/,
    );
    expect(
      parseTokenArgs(['--scope=Connectors.Read', '--expires-in', '60'], {
        npm_config_cache: '/x',
      })?.toString(),
    ).toBe('scope=Connectors.Read&expires_in=60');
  });
});

describe('settings that cannot work stop the start', () => {
  it('names every bad setting, never its value, exits 2 and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-bad-settings-'));
    try {
      const started = await run(['dist/host/main.js'], {
        DATA_DIR: join(dir, 'data'),
        PORT: 'seventy',
        HOST: 'not a host',
        PUBLIC_BASE_URL: 'localhost:7071',
        LOCAL_SECRETS_KEY: 'c2VjcmV0LWJ1dC1zaG9ydA==',
        OAUTH_ALLOWED_RETURN_URLS: 'https://ok.example,nope',
        CONNECTOR_META_TOKEN_URL: 'ftp://x',
        LOG_LEVEL: 'loud',
      });
      expect(started.code).toBe(2);
      for (const name of [
        'PORT',
        'HOST',
        'PUBLIC_BASE_URL',
        'LOCAL_SECRETS_KEY',
        'OAUTH_ALLOWED_RETURN_URLS',
        'CONNECTOR_META_TOKEN_URL',
        'LOG_LEVEL',
      ]) {
        expect(started.stderr).toMatch(new RegExp(`^  ${name} `, 'm'));
      }
      expect(started.stderr).not.toContain('c2VjcmV0LWJ1dC1zaG9ydA');
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
