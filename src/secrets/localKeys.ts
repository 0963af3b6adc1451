// The local secret store's keys: the current one from LOCAL_SECRETS_KEY (base64 of 32 bytes) or generated
// once under the data directory (never in Azure, where WEBSITE_INSTANCE_ID is set); older ones from
// LOCAL_SECRETS_PREVIOUS_KEYS so existing secrets still decrypt after a rotation. Each key is known by an
// id derived from it, stored beside every ciphertext.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretStoreUnavailableError } from './secretStore';

/**
 * The local store's keys are set wrong: requests needing a secret answer 503 with this message (it names
 * the setting, never a key), and the local host refuses to start with it.
 */
export class LocalKeyConfigurationError extends SecretStoreUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'LocalKeyConfigurationError';
  }
}

export interface LocalKey {
  id: string;
  key: Buffer;
}

export interface LocalKeyRing {
  current: LocalKey;
  byId: Map<string, LocalKey>;
  /** Where the current key came from, for the start-up line (never the key). */
  source: string;
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function parseKey(base64: string, setting: string): LocalKey {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  if (!BASE64.test(text) || key.length !== 32) {
    throw new LocalKeyConfigurationError(
      `${setting} must be the base64 of exactly 32 bytes (for example: openssl rand -base64 32).`,
    );
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

export function loadKeyRing(env: NodeJS.ProcessEnv, dataDir: string): LocalKeyRing {
  let current: LocalKey;
  let source: string;
  if (env.LOCAL_SECRETS_KEY) {
    current = parseKey(env.LOCAL_SECRETS_KEY, 'LOCAL_SECRETS_KEY');
    source = 'LOCAL_SECRETS_KEY';
  } else if (env.WEBSITE_INSTANCE_ID) {
    // In Azure the app folder is read-only and shared by no one: a generated key would be lost or refused.
    throw new LocalKeyConfigurationError(
      'In Azure (WEBSITE_INSTANCE_ID is set) the local secret store needs LOCAL_SECRETS_KEY; set KEY_VAULT_URL ' +
        'to use Key Vault instead (recommended).',
    );
  } else {
    const file = join(dataDir, 'local-secrets.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    }
    current = parseKey(readFileSync(file, 'utf8'), file);
    source = file;
  }
  const previous = (env.LOCAL_SECRETS_PREVIOUS_KEYS ?? '')
    .split(',')
    .filter((k) => k.trim())
    .map((k) => parseKey(k, 'LOCAL_SECRETS_PREVIOUS_KEYS'));
  const byId = new Map([...previous, current].map((k) => [k.id, k]));
  return { current, byId, source };
}
