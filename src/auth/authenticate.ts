// The auth middleware: a bearer token → a principal on the context, or 401/403/503.
import { ApiError, unavailable } from '../http/errors';
import { Middleware } from '../http/context';
import { AuthSettings, settings } from '../settings';
import { Access, hasAccess } from './principal';
import { IdentityProviderUnavailableError, InvalidTokenError, TokenValidator } from './tokenValidator';

let validator: { auth: AuthSettings; instance: TokenValidator } | undefined;

function currentValidator(): TokenValidator {
  const auth = settings().auth;
  // The settings object only changes when they are read again (start-up): its identity says the validator is current.
  if (validator?.auth === auth) return validator.instance;
  const { authority, audiences, allowedTenants, unknownKidRefetchSeconds } = auth;
  if (!authority) {
    throw unavailable(
      'Authentication is not configured: set AUTH_AUTHORITY (or AZURE_TENANT_ID) and AUTH_AUDIENCE.',
      {
        code: 'auth_not_configured',
      },
    );
  }
  if (audiences.length === 0) {
    throw unavailable('Authentication is not configured: set AUTH_AUDIENCE.', {
      code: 'auth_not_configured',
    });
  }
  validator = {
    auth,
    instance: new TokenValidator({
      authority,
      audiences,
      allowedTenants,
      unknownKidIntervalMs: unknownKidRefetchSeconds * 1000,
    }),
  };
  return validator.instance;
}

const unauthorized = (message: string, challenge: string) =>
  new ApiError(401, message, { code: 'unauthorized', headers: { 'WWW-Authenticate': challenge } });

function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** GET requests accept read permission; every other method needs write. */
export const authenticate: Middleware = async (ctx, next) => {
  const access: Access = ctx.request.method.toUpperCase() === 'GET' ? 'read' : 'write';
  const header = ctx.request.headers.get('authorization');
  const token = bearerToken(header);
  if (!token) {
    if (header)
      throw unauthorized(
        'The Authorization header must be "Bearer <token>".',
        'Bearer error="invalid_token"',
      );
    throw unauthorized('An Authorization header with a bearer token is required.', 'Bearer');
  }
  const tokens = currentValidator();
  try {
    ctx.principal = await tokens.validate(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) {
      throw unauthorized(err.message, `Bearer error="invalid_token", error_description="${err.message}"`);
    }
    if (err instanceof IdentityProviderUnavailableError)
      throw unavailable(err.message, { code: 'identity_unavailable' });
    throw err;
  }
  if (!hasAccess(ctx.principal, access)) {
    throw new ApiError(
      403,
      access === 'write'
        ? 'The token lacks the Connectors.ReadWrite scope or the Connectors.ReadWrite.All role.'
        : 'The token lacks a Connectors.Read or Connectors.ReadWrite scope or role.',
      { code: 'forbidden', headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } },
    );
  }
  return next();
};
