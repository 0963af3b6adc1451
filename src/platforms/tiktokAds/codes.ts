// TikTok API for Business answers HTTP 200 with an envelope {code, message, request_id, data} whatever
// happened; `code` says what. The codes the service acts on, by meaning.

/** Success. */
export const OK = 0;

/** Rate limits: 40100 (requests too frequent), 40016 and 40133 (per-advertiser and per-app limits). */
export const RATE_LIMITED = [40100, 40016, 40133];

/** The access token is expired (40102), missing (40104) or invalid (40105): the advertiser must authorize again. */
export const TOKEN_INVALID = [40102, 40104, 40105];

/** The query asks for more data than one synchronous report answers: split it (by date, by level). */
export const QUERY_TOO_LARGE = 40067;

/** No permission on the advertiser or the resource; at the token endpoint, app_id or secret refused. */
export const NO_PERMISSION = 40001;

/** A parameter is missing, malformed or out of range (an unknown metric, a range over the limit, a bad auth_code). */
export const INVALID_PARAMETER = 40002;

/**
 * TikTok states its limits per minute and gives no wait time; a minute is the honest wait to announce.
 * [unconfirmed: the documentation names no Retry-After]
 */
export const RATE_LIMIT_WAIT_SECONDS = 60;
