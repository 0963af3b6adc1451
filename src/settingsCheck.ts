// The settings checked before the local host starts: a malformed one stops the start with a message naming
// it, instead of a host that starts and then fails every request. Values are never echoed (some are keys).
import { LocalKeyConfigurationError, parseLocalKey } from './secrets/localKeys';

export interface SettingProblem {
  setting: string;
  problem: string;
}

const LOG_LEVELS = ['trace', 'debug', 'information', 'warning', 'error', 'critical', 'none'];

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Every problem with the settings in `env` (empty when all are usable). Unset settings take defaults. */
export function settingProblems(env: NodeJS.ProcessEnv): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const given = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const check = (name: string, ok: (value: string) => boolean, problem: string) => {
    const value = given(name);
    if (value !== undefined && !ok(value)) problems.push({ setting: name, problem });
  };
  const number = (min: number, integer: boolean) => (v: string) =>
    /^\d+(\.\d+)?$/.test(v) && Number(v) >= min && (!integer || Number.isInteger(Number(v)));

  check(
    'PORT',
    (v) => number(0, true)(v) && Number(v) <= 65535,
    'must be a port number from 0 to 65535 (0 picks a free port)',
  );
  check('HOST', (v) => /^[\w.:%-]+$/.test(v), 'must be an interface address or host name, such as 127.0.0.1');
  for (const name of ['PUBLIC_BASE_URL', 'AUTH_AUTHORITY', 'KEY_VAULT_URL', 'TABLES_ENDPOINT']) {
    check(name, isHttpUrl, 'must be an absolute http(s) URL');
  }
  check(
    'OAUTH_ALLOWED_RETURN_URLS',
    (v) => v.split(',').every((u) => u.trim() === '' || isHttpUrl(u.trim())),
    'must be absolute http(s) URLs, comma-separated',
  );
  check('AZURE_TENANT_ID', (v) => /^[\w.-]+$/.test(v), 'must be a tenant id (GUID) or domain');
  check('SWEEP_INTERVAL_SECONDS', number(1, false), 'must be a number of seconds above 0');
  check('OAUTH_STATE_TTL_SECONDS', number(1, false), 'must be a number of seconds above 0');
  check('ORPHAN_SECRET_MIN_AGE_SECONDS', number(0, false), 'must be a number of seconds');
  for (const name of [
    'WEBHOOK_ATTEMPT_TIMEOUT_SECONDS',
    'WEBHOOK_OUTBOX_GRACE_SECONDS',
    'PLATFORM_TIMEOUT_SECONDS',
    'REPORT_TIMEOUT_SECONDS',
  ]) {
    check(name, (v) => number(0, false)(v) && Number(v) > 0, 'must be a number of seconds above 0');
  }
  check(
    'TABLES_RETRY_DELAY_MS',
    (v) => number(1, true)(v) && Number(v) <= 60_000,
    'must be a whole number of milliseconds from 1 to 60000',
  );
  check('LOCAL_QUEUE_IN_FLIGHT_SECONDS', number(1, true), 'must be a whole number of seconds from 1');
  check(
    'SESSION_IDLE_HOURS',
    (v) => number(0, false)(v) && Number(v) > 0,
    'must be a number of hours above 0',
  );
  check('LOG_LEVEL', (v) => LOG_LEVELS.includes(v), `must be one of ${LOG_LEVELS.join(', ')}`);
  for (const name of Object.keys(env).sort()) {
    if (/^CONNECTOR_[A-Z_]+_URL$/.test(name)) check(name, isHttpUrl, 'must be an absolute http(s) URL');
  }
  for (const name of ['LOCAL_SECRETS_KEY', 'LOCAL_SECRETS_PREVIOUS_KEYS']) {
    const value = given(name);
    if (value === undefined) continue;
    try {
      for (const key of value.split(',').filter((k) => k.trim())) parseLocalKey(key, name);
    } catch (err) {
      if (!(err instanceof LocalKeyConfigurationError)) throw err;
      problems.push({
        setting: name,
        problem: 'must be the base64 of exactly 32 bytes (openssl rand -base64 32)',
      });
    }
  }
  if (given('WEBSITE_INSTANCE_ID') && !given('KEY_VAULT_URL') && !given('LOCAL_SECRETS_KEY')) {
    problems.push({
      setting: 'LOCAL_SECRETS_KEY',
      problem: 'is needed in Azure (WEBSITE_INSTANCE_ID is set) unless KEY_VAULT_URL is set',
    });
  }
  return problems;
}
