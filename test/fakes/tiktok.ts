// A stand-in for TikTok Login Kit v2 and the organic (Display / Content Posting) API v2: OAuth with
// client_key, comma-separated scopes and rotating refresh tokens, and the {data, error} envelope.
//
// Direct Post as TikTok documents it (content-posting-api-reference-direct-post, -query-creator-info,
// -get-video-status, content-sharing-guidelines):
// - creator_info/query gives the creator's privacy_level_options (public account: PUBLIC_TO_EVERYONE,
//   MUTUAL_FOLLOW_FRIENDS, SELF_ONLY; private account: FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS, SELF_ONLY);
//   20 requests a minute per token.
// - video/init/: 6 requests a minute per token (429 rate_limit_exceeded); a privacy level outside the options is
//   privacy_level_option_mismatch; an unaudited client (setAudited) may post only SELF_ONLY, to private accounts
//   (403 unaudited_client_can_only_post_to_private_accounts).
//   A video_url outside the client's verified URL prefixes (verifyUrlPrefix) is url_ownership_unverified.
//   Stricter than the docs, which make it a UX rule: an init with a token that never queried creator info is
//   refused (invalid_params).
// - status/fetch/: PROCESSING_DOWNLOAD for `publishSeconds` of the fake's clock, then PUBLISH_COMPLETE (or FAILED
//   with a fail_reason, see failNextPublish); 30 requests a minute per token. Post ids are int64 numbers in
//   the JSON text, as TikTok sends them (beyond JavaScript's safe integers).
// Rate windows slide over the last 60 s of the fake's clock, as TikTok documents.
import { createHash, randomBytes } from 'node:crypto';
import {
  Clock,
  CodeBook,
  consentDecision,
  consentPage,
  escapeHtml,
  FakeRequest,
  FakeResponse,
  htmlPage,
  isRecord,
  pkceMatches,
  randomToken,
  RateWindows,
  redirect,
  redirectUriAllowed,
  TokenBook,
  withQuery,
} from './http';
import { TokenPairFakeBase } from './base';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

const AUTHORIZE_PATH = '/v2/auth/authorize/';
const TOKEN_PATH = '/v2/oauth/token/';
const REVOKE_PATH = '/v2/oauth/revoke/';

const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 86_400;
const REFRESH_TOKEN_TTL_SECONDS = 15_552_000; // 180 days
const CLIENT_TOKEN_TTL_SECONDS = 7200;
const DEFAULT_CODE_TTL_SECONDS = 600;
const RATE_LIMIT_PER_MINUTE = 600;
const INIT_PER_MINUTE = 6;
const CREATOR_INFO_PER_MINUTE = 20;
const STATUS_PER_MINUTE = 30;
const DEFAULT_PUBLISH_SECONDS = 30;
const MAX_VIDEO_POST_DURATION_SEC = 600;
const MAX_VIDEOS_PER_PAGE = 20;
const DEFAULT_VIDEOS_PER_PAGE = 10;

/**
 * TikTok answers token endpoint errors with HTTP 200 and an `error` field in the body, so clients must
 * read the body rather than trust the status. The fake does the same for every token/revoke error.
 */
const TOKEN_ERROR_STATUS = 200;

const SCOPES = new Set([
  'user.info.basic',
  'user.info.profile',
  'user.info.stats',
  'video.list',
  'video.publish',
  'video.upload',
  'artist.certification.read',
  'artist.certification.update',
]);

/** Each user field and the scope it needs. */
const USER_FIELDS: Record<string, string> = {
  open_id: 'user.info.basic',
  union_id: 'user.info.basic',
  avatar_url: 'user.info.basic',
  avatar_url_100: 'user.info.basic',
  avatar_large_url: 'user.info.basic',
  display_name: 'user.info.basic',
  bio_description: 'user.info.profile',
  profile_deep_link: 'user.info.profile',
  is_verified: 'user.info.profile',
  username: 'user.info.profile',
  follower_count: 'user.info.stats',
  following_count: 'user.info.stats',
  likes_count: 'user.info.stats',
  video_count: 'user.info.stats',
};
const VIDEO_FIELDS = new Set([
  'id',
  'create_time',
  'cover_image_url',
  'share_url',
  'video_description',
  'duration',
  'height',
  'width',
  'title',
  'embed_html',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
]);
const PRIVACY_LEVELS = new Set([
  'PUBLIC_TO_EVERYONE',
  'MUTUAL_FOLLOW_FRIENDS',
  'FOLLOWER_OF_CREATOR',
  'SELF_ONLY',
]);

const INVALID_CLIENT = 'Client key or secret is incorrect.';
const CODE_EXPIRED = 'Authorization code is expired.';
const REDIRECT_MISMATCH = 'Redirect URI does not match the one of the authorization request.';
const VERIFIER_INVALID = 'Code verifier is invalid.';
const REFRESH_INVALID = 'Refresh token is invalid or expired.';
const DENIED = 'The user denied the authorization request.';
const NOT_FORM = 'Content-Type must be application/x-www-form-urlencoded.';

const API_ERRORS = {
  access_token_invalid: { status: 401, message: 'The access token is invalid or not found in the request.' },
  rate_limit_exceeded: { status: 429, message: 'The API rate limit was exceeded. Please try again later.' },
  internal_error: { status: 500, message: 'Something went wrong. Please try again later.' },
  scope_not_authorized: {
    status: 401,
    message: 'The user did not authorize the scope required for completing this request.',
  },
  scope_permission_missed: { status: 401, message: 'Some fields need additional scopes.' },
  invalid_params: { status: 400, message: 'One or more fields in request is invalid.' },
  privacy_level_option_mismatch: {
    status: 400,
    message: 'The privacy_level is not one of the privacy_level_options of the creator.',
  },
  unaudited_client_can_only_post_to_private_accounts: {
    status: 403,
    message: 'Unaudited clients can only post to private accounts with SELF_ONLY privacy.',
  },
  spam_risk_too_many_posts: { status: 403, message: 'The daily post cap of the creator is reached.' },
  url_ownership_unverified: {
    status: 403,
    message: 'The video_url is not under a domain or URL prefix verified for this client.',
  },
};
type ApiErrorCode = keyof typeof API_ERRORS;

export interface TikTokFakeOptions {
  interactiveConsent?: boolean;
  /** Delay before every answer, in ms (benchmarks). */
  latencyMs?: number;
  port?: number;
  /** Life of user access tokens: 86400 s unless given (TikTok has also documented 7200). */
  accessTokenTtlSeconds?: number;
  /** Life of an authorization code; 600 s unless given. */
  codeTtlSeconds?: number;
  /** Time source in epoch ms, so tests can age codes and tokens without sleeping. */
  clock?: Clock;
  /** Seconds (of the fake's clock) a Direct Post takes from init to PUBLISH_COMPLETE; 30 unless given. */
  publishSeconds?: number;
}

export interface TikTokUser {
  open_id: string;
  union_id: string;
  avatar_url: string;
  avatar_url_100: string;
  avatar_large_url: string;
  display_name: string;
  bio_description: string;
  profile_deep_link: string;
  is_verified: boolean;
  username: string;
  follower_count: number;
  following_count: number;
  likes_count: number;
  video_count: number;
}

export interface TikTokVideo {
  id: string;
  /** Epoch seconds. */
  create_time: number;
  title: string;
  video_description: string;
  duration: number;
  height: number;
  width: number;
  cover_image_url: string;
  share_url: string;
  embed_link: string;
  embed_html: string;
  view_count: number;
  like_count: number;
  comment_count: number;
  share_count: number;
}

export interface TikTokPublish {
  publish_id: string;
  title: string | undefined;
  privacy_level: string;
  video_url: string;
  body: Record<string, unknown>;
  clientKey: string;
  openId: string;
  /** Epoch ms of the init (fake's clock). */
  createdAt: number;
  /** The post's id once published (an int64, kept as its digits). */
  postId: string;
  /** Set when the post fails (failNextPublish). */
  failReason?: string;
}

export type TikTokPublishStatus = 'PROCESSING_DOWNLOAD' | 'PUBLISH_COMPLETE' | 'FAILED';

interface TikTokGrant {
  clientKey: string;
  openId: string;
  scopes: string[];
}

interface PendingCode extends TikTokGrant {
  redirectUri: string;
  challenge?: string;
}

const SEEDED_VIDEOS = 23;
const FIRST_VIDEO_AT = Date.UTC(2026, 0, 1, 18, 0, 0) / 1000;

const DEFAULT_USER: TikTokUser = {
  open_id: '-000aSandboxOpenId0000000000000001',
  union_id: 'c9c60f44-b36f-4d56-ad7b-5f2b1b000001',
  avatar_url: 'https://p16-sign.tiktokcdn-us.com/sandbox/avatar~c5_168x168.jpeg',
  avatar_url_100: 'https://p16-sign.tiktokcdn-us.com/sandbox/avatar~c5_100x100.jpeg',
  avatar_large_url: 'https://p16-sign.tiktokcdn-us.com/sandbox/avatar~c5_1080x1080.jpeg',
  display_name: 'Supertrack Sandbox',
  bio_description: 'The default account of the TikTok fake.',
  profile_deep_link: 'https://vm.tiktok.com/ZMsandbox/',
  is_verified: false,
  username: 'supertrack_sbx',
  follower_count: 4321,
  following_count: 21,
  likes_count: 98765,
  video_count: SEEDED_VIDEOS,
};

/** Seeded videos, newest first; counts are a fixed function of the position so tests can predict them. */
function seedVideos(user: TikTokUser): TikTokVideo[] {
  const videos: TikTokVideo[] = [];
  for (let i = 0; i < SEEDED_VIDEOS; i++) {
    const id = (7_300_000_000_000_000_000n + BigInt(i) * 1_111n).toString();
    videos.push({
      id,
      create_time: FIRST_VIDEO_AT + i * 86_400,
      title: `Sandbox video ${i + 1} of ${SEEDED_VIDEOS}`,
      video_description: `Sandbox video ${i + 1} #supertrack`,
      duration: 15 + (i % 45),
      height: 1920,
      width: 1080,
      cover_image_url: `https://p16-sign.tiktokcdn-us.com/sandbox/cover-${id}.jpeg`,
      share_url: `https://www.tiktok.com/@${user.username}/video/${id}`,
      embed_link: `https://www.tiktok.com/player/v1/${id}`,
      embed_html: `<blockquote class="tiktok-embed" data-video-id="${id}"></blockquote>`,
      view_count: 1000 + i * 257,
      like_count: 50 + ((i * 13) % 89),
      comment_count: (i * 5) % 17,
      share_count: i % 9,
    });
  }
  return videos.reverse();
}

function errorPage(reason: string): FakeResponse {
  return htmlPage(400, 'TikTok', `<h1>Something went wrong</h1><p><small>${escapeHtml(reason)}</small></p>`);
}

function hexSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function pick(item: object, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => fields.includes(k)));
}

function fieldList(req: FakeRequest): string[] {
  return (req.url.searchParams.get('fields') ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
}

/** An app's `clientId` (see addApp) is TikTok's client_key. */
export class TikTokFake extends TokenPairFakeBase<TikTokGrant> {
  readonly types: readonly FakeConnectorType[] = ['tiktok'];
  /** The account every consent signs in as. */
  readonly user: TikTokUser = DEFAULT_USER;
  /** The user's videos, newest first (23 seeded). */
  readonly videos: TikTokVideo[] = seedVideos(DEFAULT_USER);
  /** Posts started through /v2/post/publish/video/init/, in order. */
  readonly publishes: TikTokPublish[] = [];

  private accessTtlSeconds: number;
  private readonly codes: CodeBook<PendingCode>;
  private readonly clientTokens: TokenBook<string>;
  private readonly limits: RateWindows;
  private codeSerial = 0;
  private readonly publishSeconds: number;
  /** Client keys of Research API / Commercial Content API clients: the only ones given client access tokens. */
  private readonly clientTokenApps = new Set<string>();
  /** Per client key, the URL prefixes verified in the developer portal: PULL_FROM_URL takes videos only there. */
  private readonly verifiedPrefixes = new Map<string, string[]>();
  /** Client keys TikTok has not audited for Direct Post (every client is audited unless set). */
  private readonly unaudited = new Set<string>();
  private accountPrivate = false;
  private creatorCapped = false;
  private readonly nextPublishFailures: string[] = [];
  /** Access tokens that have queried creator info. */
  private readonly creatorQueried = new Set<string>();
  /** Per-endpoint, per-token request times (epoch ms) for TikTok's sliding one-minute windows. */
  private readonly slidingCalls = new Map<string, number[]>();

  private readonly routes: Record<string, (req: FakeRequest, grant: TikTokGrant) => FakeResponse> = {
    'GET /v2/user/info/': (req, grant) => this.userInfo(req, grant),
    'POST /v2/video/list/': (req, grant) => this.videoList(req, grant),
    'POST /v2/post/publish/creator_info/query/': (req, grant) => this.creatorInfo(req, grant),
    'POST /v2/post/publish/video/init/': (req, grant) => this.publishInit(req, grant),
    'POST /v2/post/publish/status/fetch/': (req, grant) => this.publishStatus(req, grant),
  };

  private constructor(options: TikTokFakeOptions) {
    super(options);
    this.accessTtlSeconds = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
    this.codes = new CodeBook(options.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS, this.clock);
    this.clientTokens = new TokenBook(this.clock);
    this.limits = new RateWindows(60, this.clock);
    this.publishSeconds = options.publishSeconds ?? DEFAULT_PUBLISH_SECONDS;
  }

  static async start(options: TikTokFakeOptions = {}): Promise<TikTokFake> {
    return new TikTokFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    return {
      CONNECTOR_TIKTOK_AUTHORIZE_URL: `${this.url}${AUTHORIZE_PATH}`,
      CONNECTOR_TIKTOK_TOKEN_URL: `${this.url}${TOKEN_PATH}`,
      CONNECTOR_TIKTOK_REVOKE_URL: `${this.url}${REVOKE_PATH}`,
      CONNECTOR_TIKTOK_API_URL: `${this.url}/v2`,
    };
  }

  /** Access tokens issued from now on live this long (a test can make only the first one short-lived). */
  setAccessTokenTtl(seconds: number): void {
    this.accessTtlSeconds = seconds;
  }

  /** Whether TikTok has audited the client for Direct Post (unaudited: SELF_ONLY to private accounts only). */
  setAudited(clientKey: string, audited: boolean): void {
    if (audited) this.unaudited.delete(clientKey);
    else this.unaudited.add(clientKey);
  }

  /**
   * Makes the app a Research API / Commercial Content API client, which TikTok gives client access tokens
   * (grant_type=client_credentials); any other app gets unauthorized_client.
   */
  grantClientTokens(clientKey: string): void {
    this.clientTokenApps.add(clientKey);
  }

  /**
   * Verifies a URL prefix (or a domain, as https://host/) for the client: TikTok pulls videos (PULL_FROM_URL)
   * only from verified ones, so an app with none can pull nothing.
   */
  verifyUrlPrefix(clientKey: string, prefix: string): void {
    this.verifiedPrefixes.set(clientKey, [...(this.verifiedPrefixes.get(clientKey) ?? []), prefix]);
  }

  /** Whether the user's account is set to private (it changes the creator's privacy level options). */
  setAccountPrivate(isPrivate: boolean): void {
    this.accountPrivate = isPrivate;
  }

  /** The creator has reached TikTok's daily post cap: creator info and inits answer spam_risk_too_many_posts. */
  capCreatorPosts(capped = true): void {
    this.creatorCapped = capped;
  }

  /** The next publish started fails at TikTok (status FAILED with this fail_reason). */
  failNextPublish(reason = 'video_pull_failed'): void {
    this.nextPublishFailures.push(reason);
  }

  /** A publish's status at the fake's time. */
  publishStatusOf(publish: TikTokPublish): TikTokPublishStatus {
    if (publish.failReason !== undefined) return 'FAILED';
    return this.clock() < publish.createdAt + this.publishSeconds * 1000
      ? 'PROCESSING_DOWNLOAD'
      : 'PUBLISH_COMPLETE';
  }

  override expireAccessTokens(): void {
    super.expireAccessTokens();
    this.clientTokens.expireAll();
  }

  protected route(req: FakeRequest): FakeResponse {
    switch (`${req.method} ${req.path}`) {
      case `GET ${AUTHORIZE_PATH}`:
        return this.authorize(req);
      case `POST ${TOKEN_PATH}`:
        return this.token(req);
      case `POST ${REVOKE_PATH}`:
        return this.revoke(req);
      default:
        return this.api(req);
    }
  }

  /** TikTok's request id: a timestamp followed by hex, on every answer. */
  private logId(): string {
    const stamp = new Date(this.clock()).toISOString().replace(/\D/g, '').slice(0, 14);
    return `${stamp}${randomBytes(9).toString('hex').toUpperCase()}`;
  }

  // ---- OAuth 2.0 -------------------------------------------------------------------------------

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const clientKey = q.get('client_key') ?? '';
    const app = this.apps.get(clientKey);
    if (!app) return errorPage('client_key is invalid.');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectUriAllowed(app, redirectUri))
      return errorPage('redirect_uri is not registered.');
    if (q.get('response_type') !== 'code') return errorPage('response_type must be code.');
    const state = q.get('state') ?? undefined;
    const scopes = (q.get('scope') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = scopes.find((s) => !SCOPES.has(s));
    if (!scopes.length || unknown !== undefined) {
      return redirect(
        withQuery(redirectUri, {
          error: 'invalid_scope',
          error_description: `Invalid scope: ${unknown ?? ''}`,
          state,
        }),
      );
    }
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge !== undefined && q.get('code_challenge_method') !== 'S256') {
      return errorPage('code_challenge_method must be S256.');
    }

    const decision = consentDecision(req.url);
    if (this.interactive && !decision) return consentPage('TikTok', clientKey, scopes, req.url);
    if (this.takeDenial() || decision === 'deny') {
      return redirect(withQuery(redirectUri, { error: 'access_denied', error_description: DENIED, state }));
    }
    // Real codes carry characters that must be percent-decoded from the redirect and re-encoded in the form.
    const code = this.codes.issue(
      { clientKey, openId: this.user.open_id, scopes, redirectUri, challenge },
      `${randomToken('', 24)}*3!${++this.codeSerial}`,
    );
    this.stats.authorizations++;
    return redirect(withQuery(redirectUri, { code, scopes: scopes.join(','), state }));
  }

  private oauthError(error: string, description: string): FakeResponse {
    return {
      status: TOKEN_ERROR_STATUS,
      body: { error, error_description: description, log_id: this.logId() },
    };
  }

  /** TikTok takes the client credentials in the form body. */
  private client(form: URLSearchParams): FakeApp | undefined {
    const app = this.apps.get(form.get('client_key') ?? '');
    return app && app.clientSecret === form.get('client_secret') ? app : undefined;
  }

  private isForm(req: FakeRequest): boolean {
    return (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded');
  }

  private token(req: FakeRequest): FakeResponse {
    if (!this.isForm(req)) return this.oauthError('invalid_request', NOT_FORM);
    const form = req.form();
    const app = this.client(form);
    if (!app) return this.oauthError('invalid_client', INVALID_CLIENT);
    switch (form.get('grant_type')) {
      case 'authorization_code':
        return this.exchangeCode(app, form);
      case 'refresh_token':
        return this.refresh(app, form);
      case 'client_credentials':
        return this.clientCredentials(app);
      default:
        return this.oauthError('unsupported_grant_type', 'The grant type is not supported.');
    }
  }

  private exchangeCode(app: FakeApp, form: URLSearchParams): FakeResponse {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code) return this.oauthError('invalid_request', 'Code is required.');
    if (!redirectUri) return this.oauthError('invalid_request', 'Redirect URI is required.');
    const pending = this.codes.peek(code);
    if (!pending || pending.clientKey !== app.clientId) return this.oauthError('invalid_grant', CODE_EXPIRED);
    if (pending.redirectUri !== redirectUri) return this.oauthError('invalid_grant', REDIRECT_MISMATCH);
    if (pending.challenge !== undefined) {
      const verifier = form.get('code_verifier') ?? '';
      // Standard base64url S256 and the hex form TikTok's desktop guide shows are both accepted.
      const ok =
        pkceMatches(pending.challenge, 'S256', verifier) || hexSha256(verifier) === pending.challenge;
      if (!verifier || !ok) return this.oauthError('invalid_grant', VERIFIER_INVALID);
    }
    this.codes.spend(code);
    this.stats.codeExchanges++;
    return this.issueTokens({ clientKey: pending.clientKey, openId: pending.openId, scopes: pending.scopes });
  }

  private refresh(app: FakeApp, form: URLSearchParams): FakeResponse {
    const token = form.get('refresh_token');
    if (!token) return this.oauthError('invalid_request', 'Refresh token is required.');
    const found = this.refreshTokens.lookup(token);
    if (found.state !== 'valid' || found.grant.clientKey !== app.clientId) {
      return this.oauthError('invalid_grant', REFRESH_INVALID);
    }
    this.refreshTokens.revoke(token); // rotation: the token just used is dead from now on
    this.stats.refreshes++;
    return this.issueTokens(found.grant);
  }

  private issueTokens(grant: TikTokGrant): FakeResponse {
    const now = this.clock();
    const access = this.accessTokens.add(randomToken('act.', 36), grant, now + this.accessTtlSeconds * 1000);
    const refresh = this.refreshTokens.add(
      randomToken('rft.', 36),
      grant,
      now + REFRESH_TOKEN_TTL_SECONDS * 1000,
    );
    return {
      status: 200,
      body: {
        access_token: access,
        expires_in: this.accessTtlSeconds,
        open_id: grant.openId,
        refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
        refresh_token: refresh,
        scope: grant.scopes.join(','),
        token_type: 'Bearer',
      },
    };
  }

  private clientCredentials(app: FakeApp): FakeResponse {
    if (!this.clientTokenApps.has(app.clientId)) {
      return this.oauthError(
        'unauthorized_client',
        'Client access tokens are only for Research API and Commercial Content API clients.',
      );
    }
    const expiresAt = this.clock() + CLIENT_TOKEN_TTL_SECONDS * 1000;
    const token = this.clientTokens.add(randomToken('clt.', 36), app.clientId, expiresAt);
    return {
      status: 200,
      body: { access_token: token, expires_in: CLIENT_TOKEN_TTL_SECONDS, token_type: 'Bearer' },
    };
  }

  private revoke(req: FakeRequest): FakeResponse {
    if (!this.isForm(req)) return this.oauthError('invalid_request', NOT_FORM);
    const form = req.form();
    const app = this.client(form);
    if (!app) return this.oauthError('invalid_client', INVALID_CLIENT);
    const token = form.get('token');
    if (!token) return this.oauthError('invalid_request', 'Token is required.');
    // Revoking takes back the user's whole authorization of the app, not just the one token.
    const grant = this.grantOf(token);
    if (grant?.clientKey === app.clientId) {
      this.accessTokens.revokeWhere((g) => g === grant);
      this.refreshTokens.revokeWhere((g) => g === grant);
    }
    this.stats.revocations++;
    return { status: 200, body: {} };
  }

  /** The grant an access or refresh token belongs to, whatever its state. */
  private grantOf(token: string): TikTokGrant | undefined {
    for (const book of [this.accessTokens, this.refreshTokens]) {
      const found = book.lookup(token);
      if (found.state !== 'unknown') return found.grant;
    }
    return undefined;
  }

  // ---- API v2 ----------------------------------------------------------------------------------

  private ok(data: Record<string, unknown>): FakeResponse {
    return { status: 200, body: { data, error: { code: 'ok', message: '', log_id: this.logId() } } };
  }

  private fail(code: ApiErrorCode, message: string = API_ERRORS[code].message): FakeResponse {
    return {
      status: API_ERRORS[code].status,
      body: { data: {}, error: { code, message, log_id: this.logId() } },
    };
  }

  private api(req: FakeRequest): FakeResponse {
    this.stats.apiCalls++;
    const route = this.routes[`${req.method} ${req.path}`];
    if (!route) return { status: 404, body: '404 page not found' };
    const fault = this.faults.take(req.path);
    if (fault) return this.faultResponse(fault);
    const found = this.accessTokens.lookup(req.bearer());
    if (found.state !== 'valid') return this.fail('access_token_invalid');
    const window = this.limits.hit(`${req.path}:${found.grant.clientKey}`, RATE_LIMIT_PER_MINUTE);
    if (window.exceeded) return this.fail('rate_limit_exceeded');
    return route(req, found.grant);
  }

  private faultResponse(fault: FakeFault): FakeResponse {
    switch (fault) {
      case 'rate_limit':
        return this.fail('rate_limit_exceeded');
      case 'server_error':
        return this.fail('internal_error');
      case 'token_expired':
        return this.fail('access_token_invalid');
    }
  }

  private userInfo(req: FakeRequest, grant: TikTokGrant): FakeResponse {
    const fields = fieldList(req);
    if (!fields.length) return this.fail('invalid_params', 'The fields parameter is required.');
    const unknown = fields.find((f) => !USER_FIELDS[f]);
    if (unknown !== undefined) return this.fail('invalid_params', `Invalid field: ${unknown}`);
    if (!grant.scopes.includes('user.info.basic')) return this.fail('scope_not_authorized');
    const lacking = fields.find((f) => !grant.scopes.includes(USER_FIELDS[f]));
    if (lacking !== undefined) {
      return this.fail(
        'scope_permission_missed',
        `The field ${lacking} needs the scope ${USER_FIELDS[lacking]}.`,
      );
    }
    return this.ok({ user: pick(this.user, fields) });
  }

  private videoList(req: FakeRequest, grant: TikTokGrant): FakeResponse {
    const fields = fieldList(req);
    if (!fields.length) return this.fail('invalid_params', 'The fields parameter is required.');
    const unknown = fields.find((f) => !VIDEO_FIELDS.has(f));
    if (unknown !== undefined) return this.fail('invalid_params', `Invalid field: ${unknown}`);
    if (!grant.scopes.includes('video.list')) return this.fail('scope_not_authorized');
    const body = req.body ? req.json() : {};
    if (!isRecord(body)) return this.fail('invalid_params', 'The request body must be a JSON object.');
    const maxCount = body.max_count ?? DEFAULT_VIDEOS_PER_PAGE;
    if (!isInteger(maxCount) || maxCount < 1 || maxCount > MAX_VIDEOS_PER_PAGE) {
      return this.fail('invalid_params', `max_count must be between 1 and ${MAX_VIDEOS_PER_PAGE}.`);
    }
    const cursor = body.cursor ?? null;
    if (cursor !== null && !(isInteger(cursor) && cursor >= 0)) {
      return this.fail('invalid_params', 'cursor must be a non-negative integer.');
    }
    const before = isInteger(cursor) ? cursor : undefined;

    // The cursor is a UTC timestamp in ms: each page holds videos posted before it.
    const older = this.videos.filter((v) => before === undefined || v.create_time * 1000 < before);
    const page = older.slice(0, maxCount);
    const nextCursor = page.length ? page[page.length - 1].create_time * 1000 : (before ?? 0);
    return this.ok({
      videos: page.map((v) => pick(v, fields)),
      cursor: nextCursor,
      has_more: older.length > page.length,
    });
  }

  /** Counts a call in TikTok's sliding one-minute window for `key`; true when the call is over `limit`. */
  private overLimit(key: string, limit: number): boolean {
    const now = this.clock();
    const recent = (this.slidingCalls.get(key) ?? []).filter((t) => t > now - 60_000);
    recent.push(now);
    this.slidingCalls.set(key, recent);
    return recent.length > limit;
  }

  private privacyOptions(): string[] {
    return this.accountPrivate
      ? ['FOLLOWER_OF_CREATOR', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY']
      : ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'];
  }

  private creatorInfo(req: FakeRequest, grant: TikTokGrant): FakeResponse {
    if (!grant.scopes.includes('video.publish')) return this.fail('scope_not_authorized');
    const token = req.bearer() ?? '';
    if (this.overLimit(`creator:${token}`, CREATOR_INFO_PER_MINUTE)) return this.fail('rate_limit_exceeded');
    if (this.creatorCapped) return this.fail('spam_risk_too_many_posts');
    this.creatorQueried.add(token);
    return this.ok({
      creator_avatar_url: this.user.avatar_url,
      creator_username: this.user.username,
      creator_nickname: this.user.display_name,
      privacy_level_options: this.privacyOptions(),
      comment_disabled: false,
      duet_disabled: false,
      stitch_disabled: true,
      max_video_post_duration_sec: MAX_VIDEO_POST_DURATION_SEC,
    });
  }

  private publishInit(req: FakeRequest, grant: TikTokGrant): FakeResponse {
    if (!grant.scopes.includes('video.publish')) return this.fail('scope_not_authorized');
    const token = req.bearer() ?? '';
    if (this.overLimit(`init:${token}`, INIT_PER_MINUTE)) return this.fail('rate_limit_exceeded');
    const body = req.json();
    const postInfo = isRecord(body) ? body.post_info : undefined;
    const sourceInfo = isRecord(body) ? body.source_info : undefined;
    if (!isRecord(body) || !isRecord(postInfo) || !isRecord(sourceInfo)) {
      return this.fail('invalid_params', 'post_info and source_info are required.');
    }
    const { title, privacy_level: privacy } = postInfo;
    if (title !== undefined && (typeof title !== 'string' || title.length > 2200)) {
      return this.fail('invalid_params', 'post_info.title must be a string of at most 2200 characters.');
    }
    if (typeof privacy !== 'string' || !PRIVACY_LEVELS.has(privacy)) {
      return this.fail('invalid_params', 'post_info.privacy_level is invalid.');
    }
    const videoUrl = sourceInfo.video_url;
    if (
      sourceInfo.source !== 'PULL_FROM_URL' ||
      typeof videoUrl !== 'string' ||
      !/^https?:\/\//.test(videoUrl)
    ) {
      return this.fail('invalid_params', 'source_info must be PULL_FROM_URL with a video_url.');
    }
    if (!this.creatorQueried.has(token)) {
      return this.fail(
        'invalid_params',
        'Query the creator info (/v2/post/publish/creator_info/query/) before posting with this token.',
      );
    }
    if (!(this.verifiedPrefixes.get(grant.clientKey) ?? []).some((p) => videoUrl.startsWith(p))) {
      return this.fail('url_ownership_unverified');
    }
    if (this.creatorCapped) return this.fail('spam_risk_too_many_posts');
    if (this.unaudited.has(grant.clientKey) && (privacy !== 'SELF_ONLY' || !this.accountPrivate)) {
      return this.fail('unaudited_client_can_only_post_to_private_accounts');
    }
    if (!this.privacyOptions().includes(privacy)) return this.fail('privacy_level_option_mismatch');
    const serial = BigInt(this.publishes.length + 1);
    const publishId = `v_pub_url~v2.${7_400_000_000_000_000_000n + serial}`;
    this.publishes.push({
      publish_id: publishId,
      title,
      privacy_level: privacy,
      video_url: videoUrl,
      body,
      clientKey: grant.clientKey,
      openId: grant.openId,
      createdAt: this.clock(),
      postId: (7_450_000_000_000_000_001n + serial).toString(),
      failReason: this.nextPublishFailures.shift(),
    });
    return this.ok({ publish_id: publishId });
  }

  private publishStatus(req: FakeRequest, grant: TikTokGrant): FakeResponse {
    if (!grant.scopes.includes('video.publish') && !grant.scopes.includes('video.upload')) {
      return this.fail('scope_not_authorized');
    }
    if (this.overLimit(`status:${req.bearer() ?? ''}`, STATUS_PER_MINUTE))
      return this.fail('rate_limit_exceeded');
    const body = req.json();
    const publishId = isRecord(body) ? body.publish_id : undefined;
    if (typeof publishId !== 'string' || !publishId)
      return this.fail('invalid_params', 'publish_id is required.');
    const publish = this.publishes.find(
      (p) => p.publish_id === publishId && p.clientKey === grant.clientKey && p.openId === grant.openId,
    );
    if (!publish) return this.fail('invalid_params', 'publish_id is invalid.');
    const status = this.publishStatusOf(publish);
    const size = 8_388_608;
    const elapsed = Math.max(0, this.clock() - publish.createdAt) / (this.publishSeconds * 1000 || 1);
    const downloaded = status === 'PROCESSING_DOWNLOAD' ? Math.floor(size * Math.min(0.9, elapsed)) : size;
    // Post ids only for a public post, once published; written as int64 literals, as TikTok does.
    const postIds =
      status === 'PUBLISH_COMPLETE' && publish.privacy_level === 'PUBLIC_TO_EVERYONE' ? [publish.postId] : [];
    const data =
      `{"status":${JSON.stringify(status)}` +
      (status === 'FAILED' ? `,"fail_reason":${JSON.stringify(publish.failReason)}` : '') +
      `,"publicaly_available_post_id":[${postIds.join(',')}],"uploaded_bytes":0,"downloaded_bytes":${downloaded}}`;
    const error = JSON.stringify({ code: 'ok', message: '', log_id: this.logId() });
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: `{"data":${data},"error":${error}}`,
    };
  }
}
