// Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-signature` is `v1,` + base64 of
// HMAC-SHA256 over `${id}.${timestamp}.${body}`, keyed with the base64-decoded part of the secret after
// `whsec_`. The maintained `standardwebhooks` package does the signing.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export const newSigningSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;

export function signedHeaders(secret: string, id: string, at: Date, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
