// A local development OpenID issuer, started by the local host only when no authority is configured, so
// that `npm start` works with no Azure AD app. It mints tokens shaped like Azure AD's (tid, oid, scp) for
// loopback callers only. The Functions host never starts it.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomUUID,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { SideRoute } from './server';

export const DEV_ISSUER_PATH = '/.dev-issuer';
export const DEV_AUDIENCE = 'api://supertrack-connectors';
export const DEV_TENANT = '00000000-0000-4000-8000-000000000001';

export interface DevIssuer {
  authority(port: number): string;
  route: SideRoute;
}

function loadOrCreateKey(dataDir: string): KeyObject {
  const file = join(dataDir, 'dev-issuer-key.pem');
  if (existsSync(file)) return createPrivateKey(readFileSync(file));
  mkdirSync(dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return privateKey;
}

function isLoopback(req: IncomingMessage): boolean {
  const addr = req.socket.remoteAddress ?? '';
  return addr === '127.0.0.1' || addr === '::1' || addr === '::ffff:127.0.0.1';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

export function devIssuer(dataDir: string): DevIssuer {
  const privateKey = loadOrCreateKey(dataDir);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = createHash('sha256').update(`${jwk.n}.${jwk.e}`).digest('base64url').slice(0, 16);
  const authorityOf = (port: number) => `http://127.0.0.1:${port}${DEV_ISSUER_PATH}`;

  const route: SideRoute = async (req, res, body) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (!path.startsWith(`${DEV_ISSUER_PATH}/`)) return false;
    const authority = authorityOf(req.socket.localPort ?? 0);
    if (path === `${DEV_ISSUER_PATH}/.well-known/openid-configuration`) {
      send(res, 200, {
        issuer: authority,
        jwks_uri: `${authority}/keys`,
        token_endpoint: `${authority}/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      });
    } else if (path === `${DEV_ISSUER_PATH}/keys`) {
      send(res, 200, { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] });
    } else if (path === `${DEV_ISSUER_PATH}/token` && req.method === 'POST') {
      if (!isLoopback(req)) {
        send(res, 403, { error: 'The development issuer mints tokens for loopback callers only.' });
        return true;
      }
      const asked = new URLSearchParams(body.toString('utf8'));
      const roles = asked.get('roles');
      const token = jwt.sign(
        {
          tid: asked.get('tenant') ?? DEV_TENANT,
          oid: asked.get('oid') ?? randomUUID(),
          azp: 'supertrack-dev-client',
          scp: asked.get('scope') ?? 'Connectors.ReadWrite',
          ...(roles ? { roles: roles.split(/[ ,]+/).filter(Boolean) } : {}),
        },
        privateKey,
        {
          algorithm: 'RS256',
          keyid: kid,
          issuer: authority,
          audience: asked.get('audience') ?? DEV_AUDIENCE,
          expiresIn: Number(asked.get('expires_in') ?? 3600),
          subject: 'dev-user',
        },
      );
      send(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: Number(asked.get('expires_in') ?? 3600),
      });
    } else {
      send(res, 404, { error: 'Unknown development issuer path.' });
    }
    return true;
  };
  return { authority: authorityOf, route };
}
