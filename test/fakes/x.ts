// A stand-in for X (Twitter): the OAuth 2.0 authorization server (PKCE required), the app-only bearer
// token endpoint and the few API v2 endpoints the connector uses, answering in X's own shapes.
import {
  basicCredentials,
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
  RateWindow,
  RateWindows,
  redirect,
  redirectUriAllowed,
  withQuery,
} from './http';
import { TokenPairFakeBase } from './base';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

const AUTHORIZE_PATH = '/i/oauth2/authorize';
const TOKEN_PATH = '/2/oauth2/token';
const REVOKE_PATH = '/2/oauth2/revoke';
const APP_TOKEN_PATH = '/oauth2/token';

const ACCESS_TOKEN_TTL_SECONDS = 7200;
/** Real X codes live about 30 s; the fake allows more so people can step through by hand. */
const DEFAULT_CODE_TTL_SECONDS = 600;
const RATE_WINDOW_SECONDS = 900;
/** Prefix of X app-only bearer tokens, which start with a run of "A"s. */
const APP_TOKEN_PREFIX = 'AAAAAAAAAAAAAAAAAAAAA';

const SCOPES = new Set([
  'tweet.read',
  'tweet.write',
  'tweet.moderate.write',
  'users.email',
  'users.read',
  'follows.read',
  'follows.write',
  'offline.access',
  'space.read',
  'mute.read',
  'mute.write',
  'like.read',
  'like.write',
  'list.read',
  'list.write',
  'block.read',
  'block.write',
  'bookmark.read',
  'bookmark.write',
  'media.write',
  'dm.read',
  'dm.write',
]);

const TWEET_FIELDS = new Set([
  'article',
  'attachments',
  'author_id',
  'card_uri',
  'community_id',
  'context_annotations',
  'conversation_id',
  'created_at',
  'display_text_range',
  'edit_controls',
  'edit_history_tweet_ids',
  'entities',
  'geo',
  'id',
  'in_reply_to_user_id',
  'lang',
  'media_metadata',
  'non_public_metrics',
  'note_tweet',
  'organic_metrics',
  'possibly_sensitive',
  'promoted_metrics',
  'public_metrics',
  'referenced_tweets',
  'reply_settings',
  'scopes',
  'source',
  'text',
  'withheld',
]);
const USER_FIELDS = new Set([
  'affiliation',
  'connection_status',
  'created_at',
  'description',
  'entities',
  'id',
  'location',
  'most_recent_tweet_id',
  'name',
  'pinned_tweet_id',
  'profile_banner_url',
  'profile_image_url',
  'protected',
  'public_metrics',
  'receives_your_dm',
  'subscription_type',
  'url',
  'username',
  'verified',
  'verified_type',
  'withheld',
]);
const EXPANSION_PARAMS = ['expansions', 'media.fields', 'place.fields', 'poll.fields'];
const ME_PARAMS = new Set(['user.fields', 'tweet.fields', 'expansions']);
const TIMELINE_PARAMS = new Set([
  'since_id',
  'until_id',
  'max_results',
  'pagination_token',
  'exclude',
  'start_time',
  'end_time',
  'tweet.fields',
  'user.fields',
  ...EXPANSION_PARAMS,
]);

// Per 15-minute window and endpoint, from X's rate-limit table. Access tiers are gone (X bills per use); what a
// tier used to cap is now the app's usage cap, which usageCapped() switches on.
const LIMITS = { me: 75, timeline: 900, timelineApp: 1500, postTweet: 200 };

const CLIENT_ERROR = {
  error: 'unauthorized_client',
  error_description: 'Missing valid authorization header',
};
const BAD_CODE = 'Value passed for the authorization code was invalid.';
const BAD_REDIRECT = 'Value passed for the redirect uri did not match the uri of the authorization code.';
const BAD_VERIFIER = 'Value passed for the code verifier did not match the code challenge.';
const BAD_TOKEN = 'Value passed for the token was invalid.';
const APP_AUTH_ERROR = {
  errors: [{ code: 99, message: 'Unable to verify your credentials', label: 'authenticity_token_error' }],
};
const APP_GRANT_ERROR = {
  errors: [
    { code: 170, message: 'Missing required parameter: grant_type', label: 'forbidden_missing_parameter' },
  ],
};

const PROBLEM_UNAUTHORIZED = {
  title: 'Unauthorized',
  type: 'about:blank',
  status: 401,
  detail: 'Unauthorized',
};
const PROBLEM_FORBIDDEN = { title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' };
const PROBLEM_TOO_MANY = {
  title: 'Too Many Requests',
  detail: 'Too Many Requests',
  type: 'about:blank',
  status: 429,
};
const PROBLEM_UNAVAILABLE = {
  title: 'Service Unavailable',
  detail: 'Service Unavailable',
  type: 'about:blank',
  status: 503,
};
const PROBLEM_APP_ONLY_FORBIDDEN = {
  title: 'Unsupported Authentication',
  detail:
    'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].',
  type: 'https://api.twitter.com/2/problems/unsupported-authentication',
  status: 403,
};
const PROBLEM_DUPLICATE = {
  detail: 'You are not allowed to create a Tweet with duplicate content.',
  type: 'about:blank',
  title: 'Forbidden',
  status: 403,
};
const NOT_FOUND = { errors: [{ message: 'Sorry, that page does not exist', code: 34 }] };

export interface XFakeOptions {
  interactiveConsent?: boolean;
  /** Delay before every answer, in ms (benchmarks). */
  latencyMs?: number;
  port?: number;
  /** Life of an authorization code; 600 s unless given (X's own is about 30 s). */
  codeTtlSeconds?: number;
  /** Time source in epoch ms, so tests can age codes and tokens without sleeping. */
  clock?: Clock;
}

export interface XUser {
  id: string;
  name: string;
  username: string;
  created_at: string;
  description: string;
  profile_image_url: string;
  protected: boolean;
  verified: boolean;
  public_metrics: {
    followers_count: number;
    following_count: number;
    tweet_count: number;
    listed_count: number;
  };
}

export interface XTweet {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  public_metrics: {
    retweet_count: number;
    reply_count: number;
    like_count: number;
    quote_count: number;
    bookmark_count: number;
    impression_count: number;
  };
}

interface XGrant {
  clientId: string;
  userId: string;
  scopes: string[];
}

interface PendingCode extends XGrant {
  redirectUri: string;
  challenge: string;
  method: string;
}

type Caller = { kind: 'user'; grant: XGrant } | { kind: 'app'; apiKey: string };

interface Route {
  name: string;
  limit: number;
  /** App-only callers get their own, usually larger, allowance where X offers app-only access. */
  appLimit?: number;
  run: (req: FakeRequest, caller: Caller, match: RegExpMatchArray) => FakeResponse;
}

const SEEDED_TWEETS = 23;
const FIRST_TWEET_ID = 1_850_000_000_000_000_000n;
const TWEET_ID_STEP = 1_000_003n;
const FIRST_TWEET_AT = Date.UTC(2026, 0, 1, 8, 0, 0);

const DEFAULT_USER: XUser = {
  id: '1700000000000000001',
  name: 'Supertrack Sandbox',
  username: 'supertrack_sbx',
  created_at: '2023-11-08T10:00:00.000Z',
  description: 'The default account of the X fake.',
  profile_image_url: 'https://pbs.twimg.com/profile_images/1700000000000000001/sandbox_normal.png',
  protected: false,
  verified: false,
  public_metrics: { followers_count: 1234, following_count: 56, tweet_count: SEEDED_TWEETS, listed_count: 3 },
};

/** Seeded timeline, newest first; metrics are a fixed function of the position so tests can predict them. */
function seedTweets(user: XUser): XTweet[] {
  const tweets: XTweet[] = [];
  for (let i = 0; i < SEEDED_TWEETS; i++) {
    tweets.push({
      id: (FIRST_TWEET_ID + BigInt(i) * TWEET_ID_STEP).toString(),
      text: `Sandbox tweet ${i + 1} of ${SEEDED_TWEETS}`,
      author_id: user.id,
      created_at: new Date(FIRST_TWEET_AT + i * 6 * 3600 * 1000).toISOString(),
      public_metrics: {
        retweet_count: (i * 7) % 13,
        reply_count: (i * 3) % 5,
        like_count: 10 + ((i * 11) % 97),
        quote_count: i % 3,
        bookmark_count: i % 4,
        impression_count: 500 + i * 137,
      },
    });
  }
  return tweets.reverse();
}

type Problem = { status: number } & Record<string, unknown>;

function problem(body: Problem, headers: Record<string, string> = {}): FakeResponse {
  return { status: body.status, headers: { 'content-type': 'application/problem+json', ...headers }, body };
}

/** X's RFC 7807 answer to a bad query parameter, naming the parameter and the value it refused. */
function invalidRequest(parameter: string, value: string, message: string): FakeResponse {
  return problem({
    errors: [{ parameters: { [parameter]: [value] }, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
    status: 400,
  });
}

function tokenError(status: number, error: string, description: string): FakeResponse {
  return { status, body: { error, error_description: description } };
}

function missingParameter(name: string): FakeResponse {
  return tokenError(400, 'invalid_request', `Missing required parameter [${name}].`);
}

function rateHeaders(window: RateWindow): Record<string, string> {
  return {
    'x-rate-limit-limit': String(window.limit),
    'x-rate-limit-remaining': String(window.remaining),
    'x-rate-limit-reset': String(window.resetAt),
  };
}

function errorPage(reason: string): FakeResponse {
  return htmlPage(
    400,
    'X',
    `<h1>Something went wrong</h1><p>You weren't able to give access to the App. Go back and try logging in again.</p>` +
      `<p><small>${escapeHtml(reason)}</small></p>`,
  );
}

/** Checks a comma-separated field list against what X knows; undefined when every name is known. */
function unknownField(list: string | null, known: Set<string>): string | undefined {
  return list
    ?.split(',')
    .map((f) => f.trim())
    .find((f) => !known.has(f));
}

function pickFields(item: object, list: string | null, defaults: string[]): Record<string, unknown> {
  const wanted = new Set([...defaults, ...(list?.split(',').map((f) => f.trim()) ?? [])]);
  return Object.fromEntries(Object.entries(item).filter(([k]) => wanted.has(k)));
}

export class XFake extends TokenPairFakeBase<XGrant> {
  readonly types: readonly FakeConnectorType[] = ['twitter'];
  /** The account every consent signs in as. */
  readonly user: XUser = DEFAULT_USER;
  /** The user's timeline, newest first: 23 seeded tweets, then whatever POST /2/tweets adds on top. */
  readonly tweets: XTweet[] = seedTweets(DEFAULT_USER);
  /** Tweets created through POST /2/tweets, oldest first. */
  readonly posted: XTweet[] = [];

  private readonly consumerKeys = new Map<string, string>();
  private readonly appTokens = new Map<string, string>(); // api key → its bearer token
  private readonly codes: CodeBook<PendingCode>;
  private readonly pages = new Map<string, bigint>(); // pagination token → the id it continues below
  private readonly partialProblems: Array<Record<string, unknown>> = [];
  private readonly limits: RateWindows;
  /** The app's usage cap for the period is spent (usageCapped()). */
  private capped = false;

  private readonly routes: Array<{ method: string; path: RegExp; route: Route }> = [
    {
      method: 'GET',
      path: /^\/2\/users\/me$/,
      route: { name: 'me', limit: LIMITS.me, run: (req, caller) => this.me(req, caller) },
    },
    {
      method: 'GET',
      path: /^\/2\/users\/([^/]+)\/tweets$/,
      route: {
        name: 'timeline',
        limit: LIMITS.timeline,
        appLimit: LIMITS.timelineApp,
        run: (req, caller, match) => this.timeline(req, caller, match[1]),
      },
    },
    {
      method: 'POST',
      path: /^\/2\/tweets$/,
      route: { name: 'post', limit: LIMITS.postTweet, run: (req, caller) => this.postTweet(req, caller) },
    },
  ];

  private constructor(options: XFakeOptions) {
    super(options);
    this.codes = new CodeBook(options.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS, this.clock);
    this.limits = new RateWindows(RATE_WINDOW_SECONDS, this.clock);
  }

  static async start(options: XFakeOptions = {}): Promise<XFake> {
    return new XFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    return {
      CONNECTOR_TWITTER_AUTHORIZE_URL: `${this.url}${AUTHORIZE_PATH}`,
      CONNECTOR_TWITTER_TOKEN_URL: `${this.url}${TOKEN_PATH}`,
      CONNECTOR_TWITTER_REVOKE_URL: `${this.url}${REVOKE_PATH}`,
      CONNECTOR_TWITTER_API_URL: `${this.url}/2`,
      CONNECTOR_TWITTER_APP_TOKEN_URL: `${this.url}${APP_TOKEN_PATH}`,
    };
  }

  /** Registers an OAuth 1.0a consumer key pair (X's "API key and secret"), used for app-only bearer tokens. */
  /** The next timeline answer carries this problem in `errors[]` beside its data, as X does for partial failures. */
  partialErrorNext(problem: Record<string, unknown>): void {
    this.partialProblems.push(problem);
  }

  addConsumerKey(apiKey: string, apiSecret: string): void {
    this.consumerKeys.set(apiKey, apiSecret);
  }

  protected route(req: FakeRequest): FakeResponse {
    switch (`${req.method} ${req.path}`) {
      case `GET ${AUTHORIZE_PATH}`:
        return this.authorize(req);
      case `POST ${TOKEN_PATH}`:
        return this.token(req);
      case `POST ${REVOKE_PATH}`:
        return this.revoke(req);
      case `POST ${APP_TOKEN_PATH}`:
        return this.appToken(req);
      default:
        return this.api(req);
    }
  }

  // ---- OAuth 2.0 -------------------------------------------------------------------------------

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const app = this.apps.get(clientId);
    if (!app) return errorPage('Unknown client_id.');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectUriAllowed(app, redirectUri))
      return errorPage('redirect_uri is not registered.');
    if (q.get('response_type') !== 'code') return errorPage('response_type must be code.');
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.length || scopes.some((s) => !SCOPES.has(s))) return errorPage('Invalid scope.');
    const state = q.get('state');
    if (!state) return errorPage('state is required.');
    const challenge = q.get('code_challenge');
    const method = q.get('code_challenge_method') ?? 'plain';
    if (!challenge || (method !== 'S256' && method !== 'plain')) {
      return errorPage('code_challenge with code_challenge_method S256 or plain is required.');
    }

    const decision = consentDecision(req.url);
    if (this.interactive && !decision) return consentPage('X', clientId, scopes, req.url);
    if (this.takeDenial() || decision === 'deny') {
      // X sends no error_description with a refusal.
      return redirect(withQuery(redirectUri, { state, error: 'access_denied' }));
    }
    const code = this.codes.issue({ clientId, userId: this.user.id, scopes, redirectUri, challenge, method });
    this.stats.authorizations++;
    return redirect(withQuery(redirectUri, { state, code }));
  }

  /** Confidential clients authenticate with HTTP Basic; X answers any other attempt the same way. */
  private clientFromBasic(req: FakeRequest): FakeApp | undefined {
    const creds = basicCredentials(req.headers);
    const app = creds && this.apps.get(creds.id);
    return app && app.clientSecret === creds.secret ? app : undefined;
  }

  private token(req: FakeRequest): FakeResponse {
    const app = this.clientFromBasic(req);
    if (!app) return { status: 401, body: CLIENT_ERROR };
    const form = req.form();
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') return this.exchangeCode(app, form);
    if (grantType === 'refresh_token') return this.refresh(app, form);
    if (!grantType) return missingParameter('grant_type');
    return tokenError(400, 'unsupported_grant_type', `Grant type ${grantType} is not supported.`);
  }

  private exchangeCode(app: FakeApp, form: URLSearchParams): FakeResponse {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    const verifier = form.get('code_verifier');
    if (!code) return missingParameter('code');
    if (!redirectUri) return missingParameter('redirect_uri');
    if (!verifier) return missingParameter('code_verifier');
    const pending = this.codes.peek(code);
    if (!pending || pending.clientId !== app.clientId) return tokenError(400, 'invalid_request', BAD_CODE);
    if (pending.redirectUri !== redirectUri) return tokenError(400, 'invalid_request', BAD_REDIRECT);
    if (!pkceMatches(pending.challenge, pending.method, verifier)) {
      return tokenError(400, 'invalid_request', BAD_VERIFIER);
    }
    this.codes.spend(code);
    this.stats.codeExchanges++;
    return this.issueTokens({ clientId: pending.clientId, userId: pending.userId, scopes: pending.scopes });
  }

  private refresh(app: FakeApp, form: URLSearchParams): FakeResponse {
    const token = form.get('refresh_token');
    if (!token) return missingParameter('refresh_token');
    const found = this.refreshTokens.lookup(token);
    if (found.state !== 'valid' || found.grant.clientId !== app.clientId) {
      return tokenError(400, 'invalid_request', BAD_TOKEN);
    }
    this.refreshTokens.revoke(token); // X rotates: the token just used is dead from now on
    this.stats.refreshes++;
    return this.issueTokens(found.grant);
  }

  private issueTokens(grant: XGrant): FakeResponse {
    const expiresAt = this.clock() + ACCESS_TOKEN_TTL_SECONDS * 1000;
    const body: Record<string, unknown> = {
      token_type: 'bearer',
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      access_token: this.accessTokens.add(randomToken('', 48), grant, expiresAt),
      scope: grant.scopes.join(' '),
    };
    if (grant.scopes.includes('offline.access'))
      body.refresh_token = this.refreshTokens.add(randomToken('', 48), grant);
    return { status: 200, body };
  }

  private revoke(req: FakeRequest): FakeResponse {
    const app = this.clientFromBasic(req);
    if (!app) return { status: 401, body: CLIENT_ERROR };
    const token = req.form().get('token');
    if (!token) return missingParameter('token');
    const refresh = this.refreshTokens.lookup(token);
    const access = this.accessTokens.lookup(token);
    if (refresh.state !== 'unknown' && refresh.grant.clientId === app.clientId) {
      // A refresh token stands for the whole grant, so everything minted from it goes with it.
      const grant = refresh.grant;
      this.refreshTokens.revokeWhere((g) => g === grant);
      this.accessTokens.revokeWhere((g) => g === grant);
    } else if (access.state !== 'unknown' && access.grant.clientId === app.clientId) {
      this.accessTokens.revoke(token);
    }
    // RFC 7009: an unknown token is no error, and X answers the same either way.
    this.stats.revocations++;
    return { status: 200, body: { revoked: true } };
  }

  private appToken(req: FakeRequest): FakeResponse {
    const creds = basicCredentials(req.headers);
    if (!creds || this.consumerKeys.get(creds.id) !== creds.secret)
      return { status: 403, body: APP_AUTH_ERROR };
    if (req.form().get('grant_type') !== 'client_credentials') return { status: 403, body: APP_GRANT_ERROR };
    // X hands out the same app bearer token until it is invalidated.
    let token = this.appTokens.get(creds.id);
    if (!token) {
      token = randomToken(APP_TOKEN_PREFIX, 60);
      this.appTokens.set(creds.id, token);
    }
    return { status: 200, body: { token_type: 'bearer', access_token: token } };
  }

  /** The app's monthly usage cap is spent (or, with false, the period starts again): every API call answers 429 UsageCapExceeded. */
  usageCapped(capped = true): void {
    this.capped = capped;
  }

  // ---- API v2 ----------------------------------------------------------------------------------

  private api(req: FakeRequest): FakeResponse {
    this.stats.apiCalls++;
    const found = this.routes
      .filter((r) => r.method === req.method)
      .map((r) => ({ route: r.route, match: req.path.match(r.path) }))
      .find((r) => r.match);
    if (!found?.match) return { status: 404, body: NOT_FOUND };
    const { route, match } = found;

    const fault = this.faults.take(req.path);
    if (fault) return this.faultResponse(fault, route.limit);

    const caller = this.authenticate(req);
    if (!caller) return problem(PROBLEM_UNAUTHORIZED);
    if (this.capped) {
      // The window still has room (the headers say so): it is the cap, not the rate limit, that refuses.
      return problem(
        {
          account_id: '1700000000000000000',
          product_name: 'pay-per-use',
          title: 'UsageCapExceeded',
          period: 'Monthly',
          scope: 'Product',
          detail: 'Usage cap exceeded: Monthly product cap',
          type: 'https://api.twitter.com/2/problems/usage-capped',
          status: 429,
        },
        { 'x-rate-limit-limit': String(route.limit), 'x-rate-limit-remaining': String(route.limit - 1) },
      );
    }
    const callerKey = caller.kind === 'user' ? `user:${caller.grant.userId}` : `app:${caller.apiKey}`;
    const limit = caller.kind === 'app' ? (route.appLimit ?? route.limit) : route.limit;
    const window = this.limits.hit(`${route.name}:${callerKey}`, limit);
    const headers = rateHeaders(window);
    if (window.exceeded) return problem(PROBLEM_TOO_MANY, headers);
    const out = route.run(req, caller, match);
    return { ...out, headers: { ...out.headers, ...headers } };
  }

  private faultResponse(fault: FakeFault, limit: number): FakeResponse {
    const reset = String(Math.floor(this.clock() / 1000) + RATE_WINDOW_SECONDS);
    switch (fault) {
      case 'rate_limit':
        return problem(PROBLEM_TOO_MANY, {
          'x-rate-limit-limit': String(limit),
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': reset,
        });
      case 'server_error':
        return problem(PROBLEM_UNAVAILABLE);
      case 'token_expired':
        return problem(PROBLEM_UNAUTHORIZED);
    }
  }

  private authenticate(req: FakeRequest): Caller | undefined {
    const token = req.bearer();
    const found = this.accessTokens.lookup(token);
    if (found.state === 'valid') return { kind: 'user', grant: found.grant };
    const apiKey = [...this.appTokens].find(([, t]) => t === token)?.[0];
    return apiKey === undefined ? undefined : { kind: 'app', apiKey };
  }

  private static missingScope(caller: Caller, needed: string[]): boolean {
    return caller.kind === 'user' && needed.some((s) => !caller.grant.scopes.includes(s));
  }

  private static unknownParameter(req: FakeRequest, allowed: Set<string>): FakeResponse | undefined {
    const bad = [...req.url.searchParams.keys()].find((k) => !allowed.has(k));
    if (bad === undefined) return undefined;
    const list = [...allowed].sort().join(',');
    return invalidRequest(
      bad,
      req.url.searchParams.get(bad) ?? '',
      `The query parameter [${bad}] is not one of [${list}]`,
    );
  }

  private static badFieldList(req: FakeRequest): FakeResponse | undefined {
    for (const [param, known] of [
      ['tweet.fields', TWEET_FIELDS],
      ['user.fields', USER_FIELDS],
    ] as const) {
      const value = req.url.searchParams.get(param);
      const bad = unknownField(value, known);
      if (bad !== undefined) {
        return invalidRequest(
          param,
          bad,
          `The \`${param}\` query parameter value [${bad}] is not one of [${[...known].join(',')}]`,
        );
      }
    }
    return undefined;
  }

  private me(req: FakeRequest, caller: Caller): FakeResponse {
    if (caller.kind === 'app') return problem(PROBLEM_APP_ONLY_FORBIDDEN);
    const invalid = XFake.unknownParameter(req, ME_PARAMS) ?? XFake.badFieldList(req);
    if (invalid) return invalid;
    if (XFake.missingScope(caller, ['tweet.read', 'users.read'])) return problem(PROBLEM_FORBIDDEN);
    const data = pickFields(this.user, req.url.searchParams.get('user.fields'), ['id', 'name', 'username']);
    return { status: 200, body: { data } };
  }

  private timeline(req: FakeRequest, caller: Caller, userId: string): FakeResponse {
    const q = req.url.searchParams;
    const invalid = XFake.unknownParameter(req, TIMELINE_PARAMS) ?? XFake.badFieldList(req);
    if (invalid) return invalid;
    if (!/^[0-9]{1,19}$/.test(userId)) {
      return invalidRequest('id', userId, `The \`id\` query parameter value [${userId}] is not valid`);
    }
    const maxRaw = q.get('max_results');
    const max = maxRaw === null ? 10 : Number(maxRaw);
    if (!Number.isInteger(max) || max < 5 || max > 100) {
      return invalidRequest(
        'max_results',
        maxRaw ?? '',
        `The \`max_results\` query parameter value [${maxRaw}] is not between 5 and 100`,
      );
    }
    const pageToken = q.get('pagination_token');
    const below = pageToken === null ? undefined : this.pages.get(pageToken);
    if (pageToken !== null && below === undefined) {
      return invalidRequest(
        'pagination_token',
        pageToken,
        `The \`pagination_token\` query parameter value [${pageToken}] is not valid`,
      );
    }
    if (XFake.missingScope(caller, ['tweet.read', 'users.read'])) return problem(PROBLEM_FORBIDDEN);
    if (userId !== this.user.id) return { status: 200, body: { errors: [userNotFound(userId)] } };

    // Paging by id, as X does, so tweets posted mid-walk neither repeat nor shift the pages.
    const remaining = this.tweets.filter((t) => below === undefined || BigInt(t.id) < below);
    const page = remaining.slice(0, max);
    const fields = q.get('tweet.fields');
    const meta: Record<string, unknown> = { result_count: page.length };
    if (page.length) {
      meta.newest_id = page[0].id;
      meta.oldest_id = page[page.length - 1].id;
    }
    if (remaining.length > page.length) {
      const next = randomToken('', 12).toLowerCase();
      this.pages.set(next, BigInt(page[page.length - 1].id));
      meta.next_token = next;
    }
    const data = page.map((t) =>
      pickFields({ ...t, edit_history_tweet_ids: [t.id] }, fields, ['id', 'text', 'edit_history_tweet_ids']),
    );
    // X leaves `data` out altogether when there is nothing to return.
    const body: Record<string, unknown> = page.length ? { data, meta } : { meta };
    // X answers 200 with data and the problems of the parts it could not return (a deleted referenced tweet…).
    const partial = this.partialProblems.splice(0);
    if (partial.length > 0) body.errors = partial;
    return { status: 200, body };
  }

  private postTweet(req: FakeRequest, caller: Caller): FakeResponse {
    if (caller.kind === 'app') return problem(PROBLEM_APP_ONLY_FORBIDDEN);
    if (XFake.missingScope(caller, ['tweet.read', 'tweet.write', 'users.read']))
      return problem(PROBLEM_FORBIDDEN);
    const body = req.json();
    const text = isRecord(body) ? body.text : undefined;
    if (typeof text !== 'string' || !text.trim()) {
      return problem({
        errors: [{ message: '$.text: is missing but it is required' }],
        title: 'Invalid Request',
        detail: 'One or more parameters to your request was invalid.',
        type: 'https://api.twitter.com/2/problems/invalid-request',
        status: 400,
      });
    }
    if (this.tweets.some((t) => t.text === text)) return problem(PROBLEM_DUPLICATE);
    const newest = this.tweets.length ? BigInt(this.tweets[0].id) : FIRST_TWEET_ID;
    const tweet: XTweet = {
      id: (newest + TWEET_ID_STEP).toString(),
      text,
      author_id: caller.grant.userId,
      created_at: new Date(this.clock()).toISOString(),
      public_metrics: {
        retweet_count: 0,
        reply_count: 0,
        like_count: 0,
        quote_count: 0,
        bookmark_count: 0,
        impression_count: 0,
      },
    };
    this.tweets.unshift(tweet);
    this.posted.push(tweet);
    return {
      status: 201,
      body: { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } },
    };
  }
}

/** X answers a lookup of a missing user with 200 and a partial error, not with 404. */
function userNotFound(id: string): Record<string, unknown> {
  return {
    value: id,
    detail: `Could not find user with id: [${id}].`,
    title: 'Not Found Error',
    resource_type: 'user',
    parameter: 'id',
    resource_id: id,
    type: 'https://api.twitter.com/2/problems/resource-not-found',
  };
}
