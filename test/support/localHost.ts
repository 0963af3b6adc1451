// Starts the real local host (dist/host/main.js, built by `npm test` before jest runs) as a child process
// and waits for its start-up line. Its output is kept so tests can scan the logs.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface RunningHost {
  url: string;
  /** The API base: `${url}/api`. */
  api: string;
  dataDir: string;
  output(): string;
  /** Stops the host with SIGTERM (or the given signal) and resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface HostOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a data directory (to restart on the same data); a new temporary one otherwise. */
  dataDir?: string;
}

export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const ownDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'st-host-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dataDir,
  };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/host/main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`local host did not start:\n${output}`)), 20000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const m = /listening on (http:\/\/localhost:\d+)\//.exec(output);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1].replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local host exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    api: `${url}/api`,
    dataDir,
    output: () => output,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<number | null>((resolveStop) => {
        // Already gone (exited, or killed by a signal, which leaves exitCode null).
        if (child.exitCode !== null || child.signalCode !== null) {
          resolveStop(child.exitCode);
          return;
        }
        child.once('exit', (code) => {
          if (ownDir) rmSync(dataDir, { recursive: true, force: true });
          resolveStop(code);
        });
        child.kill(signal);
      }),
  };
}
