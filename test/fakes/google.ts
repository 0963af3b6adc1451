// A stand-in for Google: the OAuth 2.0 authorization server (accounts.google.com / oauth2.googleapis.com),
// the Google Ads API (REST, GAQL search with fixed-size pages, campaign mutates), the YouTube Data API v3
// and YouTube Analytics v2, answering in Google's own shapes: {"error","error_description"} from OAuth,
// {"error":{code,message,status,details:[GoogleAdsFailure]}} from Ads, legacy errors[] from YouTube.
import { createHash } from 'node:crypto';
import {
  addDays,
  basicCredentials,
  Clock,
  CodeBook,
  consentDecision,
  consentPage,
  daysBetween,
  decodeCursor,
  encodeCursor,
  escapeHtml,
  FakeRequest,
  FakeResponse,
  htmlPage,
  isIsoDay,
  isoDay,
  isRecord,
  pkceMatches,
  randomToken,
  redirect,
  redirectUriAllowed,
  seededInt,
  withQuery,
} from './http';
import { PersistentPart } from './persistence';
import { TokenPairFakeBase } from './base';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

export const GOOGLE_ADS_DEFAULT_VERSION = 'v26';

const AUTHORIZE_PATH = '/o/oauth2/v2/auth';
const TOKEN_PATH = '/token';
const REVOKE_PATH = '/revoke';
const YOUTUBE_PREFIX = '/youtube/v3/';
const ANALYTICS_REPORTS_PATH = '/v2/reports';

const ACCESS_TOKEN_SECONDS = 3599;
const CODE_TTL_SECONDS = 600;
/** Google's real page size; the fake defaults to a small one so that tests page. */
const REAL_ADS_PAGE_SIZE = 10_000;
const DEFAULT_ADS_PAGE_SIZE = 10;
const DEFAULT_YOUTUBE_DAILY_QUOTA = 10_000;
/** Seeded Ads accounts have delivered every day for this many days, up to today. */
const DELIVERY_DAYS = 90;
const DEVICES = ['MOBILE', 'DESKTOP', 'TABLET'];
/** Geo target constants (country level) as Google lists them; a customer's traffic comes from some of them. */
const GEO_COUNTRIES: Array<{ id: number; code: string; name: string }> = [
  { id: 2040, code: 'AT', name: 'Austria' },
  { id: 2124, code: 'CA', name: 'Canada' },
  { id: 2250, code: 'FR', name: 'France' },
  { id: 2276, code: 'DE', name: 'Germany' },
  { id: 2392, code: 'JP', name: 'Japan' },
  { id: 2484, code: 'MX', name: 'Mexico' },
  { id: 2756, code: 'CH', name: 'Switzerland' },
  { id: 2826, code: 'GB', name: 'United Kingdom' },
  { id: 2840, code: 'US', name: 'United States' },
];
/** Where each customer's clicks come from (country criterion ids); others: the United States alone. */
const CUSTOMER_COUNTRIES: Record<string, number[]> = {
  '2345678901': [2840, 2124, 2484],
  '3456789012': [2276, 2040, 2756, 2250],
};
/** Ads per ad group in the fake (ids: the ad group's id followed by the ad's number). */
const ADS_PER_GROUP = 3;
/**
 * geographic_view reports each country twice, once per location type: where people were (LOCATION_OF_PRESENCE,
 * whose rows add up to the campaign's figures) and what they showed interest in (AREA_OF_INTEREST, overlapping).
 */
const LOCATION_TYPES = ['LOCATION_OF_PRESENCE', 'AREA_OF_INTEREST'];

const SCOPE_PREFIX = 'https://www.googleapis.com/auth/';
export const GOOGLE_SCOPES = {
  adwords: `${SCOPE_PREFIX}adwords`,
  youtube: `${SCOPE_PREFIX}youtube`,
  youtubeReadonly: `${SCOPE_PREFIX}youtube.readonly`,
  youtubeForceSsl: `${SCOPE_PREFIX}youtube.force-ssl`,
  ytAnalyticsReadonly: `${SCOPE_PREFIX}yt-analytics.readonly`,
};
const KNOWN_SCOPES = new Set([
  'openid',
  'email',
  'profile',
  `${SCOPE_PREFIX}userinfo.email`,
  `${SCOPE_PREFIX}userinfo.profile`,
  `${SCOPE_PREFIX}adwords`,
  `${SCOPE_PREFIX}youtube`,
  `${SCOPE_PREFIX}youtube.readonly`,
  `${SCOPE_PREFIX}youtube.force-ssl`,
  `${SCOPE_PREFIX}youtube.upload`,
  `${SCOPE_PREFIX}youtubepartner`,
  `${SCOPE_PREFIX}yt-analytics.readonly`,
  `${SCOPE_PREFIX}yt-analytics-monetary.readonly`,
]);
const YOUTUBE_READ_SCOPES = ['youtube', 'youtube.readonly', 'youtube.force-ssl', 'youtubepartner'].map(
  (s) => `${SCOPE_PREFIX}${s}`,
);
const YOUTUBE_WRITE_SCOPES = ['youtube', 'youtube.force-ssl', 'youtubepartner'].map(
  (s) => `${SCOPE_PREFIX}${s}`,
);
const ANALYTICS_SCOPES = [
  'yt-analytics.readonly',
  'yt-analytics-monetary.readonly',
  'youtube',
  'youtube.readonly',
  'youtubepartner',
].map((s) => `${SCOPE_PREFIX}${s}`);

// ---- Seeded data --------------------------------------------------------------------------------

export interface GoogleCustomerSeed {
  id: string;
  name: string;
  manager: boolean;
  status: 'ENABLED' | 'CANCELED' | 'SUSPENDED' | 'CLOSED';
  currency: string;
  timeZone: string;
  /** Whether the seeded user holds access on this account itself (not only through a manager). */
  direct: boolean;
  parent?: string;
  testAccount: boolean;
}

export interface GoogleCampaignSeed {
  customerId: string;
  id: string;
  name: string;
  status: 'ENABLED' | 'PAUSED' | 'REMOVED';
  channel: string;
  bidding: string;
  adGroups: Array<{ id: string; name: string; status: 'ENABLED' | 'PAUSED' | 'REMOVED' }>;
}

export interface YoutubeVideoSeed {
  id: string;
  title: string;
  description: string;
  categoryId: string;
  tags?: string[];
  defaultLanguage?: string;
  publishedAt: string;
  views: number;
  likes: number;
  comments: number;
}

const CHANNELS = ['SEARCH', 'DISPLAY', 'VIDEO', 'PERFORMANCE_MAX'];
const BIDDING = ['MAXIMIZE_CONVERSIONS', 'TARGET_CPA', 'MANUAL_CPC', 'MAXIMIZE_CLICKS'];

function seedCampaigns(customerId: string, count: number, firstId: number): GoogleCampaignSeed[] {
  return Array.from({ length: count }, (_, i) => {
    const id = String(firstId + i);
    // Mostly enabled, some paused, two removed: enough variety for status filters.
    const status = i % 9 === 4 ? 'PAUSED' : i % 13 === 12 ? 'REMOVED' : 'ENABLED';
    return {
      customerId,
      id,
      name: `Campaign ${String(i + 1).padStart(2, '0')}`,
      status,
      channel: CHANNELS[i % CHANNELS.length],
      bidding: BIDDING[i % BIDDING.length],
      adGroups: [1, 2].map((n) => ({
        id: `${id}${n}`,
        name: `Campaign ${i + 1} / Ad group ${n}`,
        status: 'ENABLED',
      })),
    };
  });
}

export const GOOGLE_SEED = {
  user: { sub: '110000000000000000001', email: 'avery.sandbox@example.com', name: 'Avery Sandbox' },
  customers: [
    {
      id: '1234567890',
      name: 'Supertrack Sandbox MCC',
      manager: true,
      status: 'ENABLED',
      currency: 'USD',
      timeZone: 'America/New_York',
      direct: true,
      testAccount: false,
    },
    {
      id: '2345678901',
      name: 'Sandbox Client A',
      manager: false,
      status: 'ENABLED',
      currency: 'USD',
      timeZone: 'America/New_York',
      direct: false,
      parent: '1234567890',
      testAccount: false,
    },
    {
      id: '3456789012',
      name: 'Sandbox Client B',
      manager: false,
      status: 'ENABLED',
      currency: 'EUR',
      timeZone: 'Europe/Berlin',
      direct: true,
      parent: '1234567890',
      testAccount: false,
    },
    {
      id: '4567890123',
      name: 'Sandbox Client C (closed)',
      manager: false,
      status: 'CANCELED',
      currency: 'USD',
      timeZone: 'America/New_York',
      direct: false,
      parent: '1234567890',
      testAccount: false,
    },
  ] as GoogleCustomerSeed[],
  campaigns: [
    ...seedCampaigns('2345678901', 27, 20_000_000_001),
    ...seedCampaigns('3456789012', 3, 30_000_000_001),
  ],
  channel: {
    id: 'UCSupertrackSandbox00001',
    title: 'Supertrack Sandbox',
    description: 'A seeded channel of the Google fake.',
    customUrl: '@supertracksandbox',
    publishedAt: '2021-04-01T10:00:00Z',
    subscribers: 1540,
  },
  videos: [
    {
      id: 'sandboxVid1',
      title: 'Welcome to the sandbox',
      description: 'The first seeded video.',
      categoryId: '22',
      tags: ['sandbox', 'welcome'],
      publishedAt: '2024-01-10T12:00:00Z',
      views: 12034,
      likes: 310,
      comments: 42,
    },
    {
      id: 'sandboxVid2',
      title: 'How reporting works',
      description: 'The second seeded video.',
      categoryId: '27',
      publishedAt: '2024-06-02T12:00:00Z',
      views: 5321,
      likes: 120,
      comments: 9,
    },
    {
      id: 'sandboxVid3',
      title: 'Release notes',
      description: '',
      categoryId: '28',
      publishedAt: '2025-02-20T12:00:00Z',
      views: 877,
      likes: 15,
      comments: 2,
    },
  ] as YoutubeVideoSeed[],
};

// ---- Error shapes ---------------------------------------------------------------------------------

const STATUS_MESSAGES: Record<number, [string, string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: [
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
  ],
  403: ['PERMISSION_DENIED', 'The caller does not have permission'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  503: ['UNAVAILABLE', 'The service is currently unavailable.'],
};
const USER_PERMISSION_DENIED =
  "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid";
const CUSTOMER_NOT_ENABLED =
  "The customer account can't be accessed because it is not yet enabled or has been deactivated.";
const TEST_ACCESS_ONLY =
  "The Google Cloud project's Google Ads API access level only allows test accounts. To access production accounts, apply for Explorer or Basic access on the Google Ads API Overview page.";
const MISSING_CREDENTIALS =
  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

interface AdsErrorItem {
  errorCode: Record<string, string>;
  message: string;
  location?: { fieldPathElements: Array<{ fieldName: string; index?: number }> };
  details?: Record<string, unknown>;
}

function oauthError(status: number, error: string, description?: string): FakeResponse {
  return { status, body: description === undefined ? { error } : { error, error_description: description } };
}

function requestId(): string {
  return randomToken('', 16);
}

function rpcError(status: number, extra: Record<string, unknown> = {}, message?: string): FakeResponse {
  const [grpc, text] = STATUS_MESSAGES[status] ?? STATUS_MESSAGES[400];
  return { status, body: { error: { code: status, message: message ?? text, status: grpc, ...extra } } };
}

/** Wraps a scope or credential problem as googleapis report it: a google.rpc.ErrorInfo detail. */
function errorInfo(reason: string, service: string): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: { service },
  };
}

function pageNotFound(path: string): FakeResponse {
  return htmlPage(
    404,
    'Error 404 (Not Found)!!1',
    `<p><b>404.</b> That’s an error.</p><p>The requested URL <code>${escapeHtml(path)}</code> was not found on this server. That’s all we know.</p>`,
  );
}

// ---- State types ---------------------------------------------------------------------------------

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  offline: boolean;
  forceConsent: boolean;
  challenge?: { value: string; method: string };
}

/** One consent: the family of an optional refresh token and the access tokens minted from it. */
interface Grant {
  id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  hasRefreshToken: boolean;
  revoked: boolean;
}

interface Caller {
  grant: Grant;
}

export type AdsAccessLevel = 'test' | 'explorer' | 'basic' | 'standard';

export interface GoogleFakeOptions {
  interactiveConsent?: boolean;
  /** Delay before every answer, in ms (benchmarks). */
  latencyMs?: number;
  port?: number;
  clock?: Clock;
  /** Google Ads API version segment, e.g. v26. */
  adsVersion?: string;
  /** Rows per googleAds:search page; Google's is a fixed 10000, the fake's 10 so tests page. */
  adsPageSize?: number;
  /** Replaces a customer's seeded campaigns with this many (the reports benchmark's 50). */
  campaignsOf?: { customerId: string; count: number };
  /**
   * Developer tokens the fake accepts. Google sunset developer tokens on 2026-09-09 and ignores the
   * header since; give tokens here to emulate the earlier behaviour (header required and checked).
   */
  developerTokens?: string[];
  /** YouTube Data API units per OAuth client per day. */
  youtubeDailyQuota?: number;
  /** false seeds a Google account without a YouTube channel (channels?mine=true answers no items). */
  youtubeChannel?: boolean;
}

// ---- The fake -------------------------------------------------------------------------------------

// Access and refresh tokens stand for a grant id (see grants).
/** AuthenticationErrors that are about the Google account, not the token (AuthenticationErrorEnum). */
export type GoogleAdsAccountProblem =
  | 'NOT_ADS_USER'
  | 'TWO_STEP_VERIFICATION_NOT_ENROLLED'
  | 'ADVANCED_PROTECTION_NOT_ENROLLED';

const ACCOUNT_PROBLEM_MESSAGES: Record<GoogleAdsAccountProblem, string> = {
  NOT_ADS_USER: 'User in the cookie is not a valid Ads user.',
  TWO_STEP_VERIFICATION_NOT_ENROLLED:
    "An account administrator changed this account's authentication settings. To access this Google Ads account, enable 2-Step Verification in your Google account at https://www.google.com/landing/2step.",
  ADVANCED_PROTECTION_NOT_ENROLLED:
    "An account administrator changed this account's authentication settings. To access this account, enable Advanced Protection in your Google account at https://landing.google.com/advancedprotection.",
};

export class GoogleFake extends TokenPairFakeBase<string> {
  readonly types: readonly FakeConnectorType[] = ['google_ads', 'youtube'];
  readonly seed = GOOGLE_SEED;
  readonly adsVersion: string;
  /** The campaigns as they are now (mutates change them). */
  readonly campaigns: GoogleCampaignSeed[];
  /** The channel's videos as they are now (videos.update changes them). */
  readonly videos: YoutubeVideoSeed[];

  private readonly pageSize: number;
  private readonly developerTokens?: Set<string>;
  private readonly youtubeQuota: number;
  private readonly hasChannel: boolean;
  private readonly accessLevels = new Map<string, AdsAccessLevel>();
  /** A condition of the signed-in Google account that Google Ads refuses with a 401 AuthenticationError. */
  private accountProblem: GoogleAdsAccountProblem | undefined;
  private readonly codes: CodeBook<CodeGrant>;
  private readonly grants = new Map<string, Grant>();
  private readonly quotaUsed = new Map<string, number>(); // "clientId day" -> units
  private readonly metricsMemo = new Map<string, AdsCounts>();

  private constructor(options: GoogleFakeOptions) {
    super(options);
    this.adsVersion = options.adsVersion ?? GOOGLE_ADS_DEFAULT_VERSION;
    this.pageSize = options.adsPageSize ?? DEFAULT_ADS_PAGE_SIZE;
    this.developerTokens = options.developerTokens ? new Set(options.developerTokens) : undefined;
    this.youtubeQuota = options.youtubeDailyQuota ?? DEFAULT_YOUTUBE_DAILY_QUOTA;
    this.hasChannel = options.youtubeChannel ?? true;
    this.codes = new CodeBook(CODE_TTL_SECONDS, this.clock);
    const many = options.campaignsOf;
    const seeded = many
      ? [
          ...GOOGLE_SEED.campaigns.filter((c) => c.customerId !== many.customerId),
          ...seedCampaigns(many.customerId, many.count, 40_000_000_001),
        ]
      : GOOGLE_SEED.campaigns;
    this.campaigns = seeded.map((c) => ({
      ...c,
      adGroups: c.adGroups.map((g) => ({ ...g })),
    }));
    this.videos = GOOGLE_SEED.videos.map((v) => ({ ...v, tags: v.tags ? [...v.tags] : undefined }));
  }

  protected override persistentParts(): Record<string, PersistentPart> {
    return { ...super.persistentParts(), grants: this.grants };
  }

  static async start(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
    return new GoogleFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const type of ['GOOGLE_ADS', 'YOUTUBE']) {
      out[`CONNECTOR_${type}_AUTHORIZE_URL`] = `${this.url}${AUTHORIZE_PATH}`;
      out[`CONNECTOR_${type}_TOKEN_URL`] = `${this.url}${TOKEN_PATH}`;
      out[`CONNECTOR_${type}_REVOKE_URL`] = `${this.url}${REVOKE_PATH}`;
    }
    out.CONNECTOR_GOOGLE_ADS_API_URL = `${this.url}/${this.adsVersion}`;
    out.CONNECTOR_YOUTUBE_API_URL = `${this.url}/youtube/v3`;
    out.CONNECTOR_YOUTUBE_ANALYTICS_URL = `${this.url}/v2`;
    return out;
  }

  /** The Google Ads API access level of an app's Cloud project; 'test' reaches test accounts only. Default basic. */
  setAdsAccessLevel(clientId: string, level: AdsAccessLevel): void {
    this.accessLevels.set(clientId, level);
  }

  override revokeAllGrants(): void {
    for (const grant of this.grants.values()) grant.revoked = true;
    this.accessTokens.revokeAll();
    this.refreshTokens.revokeAll();
  }

  // ---- Dispatch ----

  protected async route(req: FakeRequest): Promise<FakeResponse> {
    if (req.path === AUTHORIZE_PATH && req.method === 'GET') return this.authorize(req);
    if (req.path === TOKEN_PATH && req.method === 'POST') return this.token(req);
    if (req.path === REVOKE_PATH && (req.method === 'POST' || req.method === 'GET')) return this.revoke(req);
    const api = this.apiOf(req.path);
    if (!api) return pageNotFound(req.path);
    this.stats.apiCalls += 1;
    const fault = this.faults.take(req.path);
    if (fault) return faultResponse(fault, api, this.adsVersion);
    if (api === 'ads') return this.ads(req);
    if (api === 'youtube') return this.youtube(req);
    return this.analytics(req);
  }

  private apiOf(path: string): 'ads' | 'youtube' | 'analytics' | undefined {
    if (path.startsWith(`/${this.adsVersion}/customers`)) return 'ads';
    if (path.startsWith(YOUTUBE_PREFIX)) return 'youtube';
    if (path === ANALYTICS_REPORTS_PATH) return 'analytics';
    return undefined;
  }

  // ---- Authorization endpoint ----

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const app = this.apps.get(q.get('client_id') ?? '');
    if (!app) return authorizeErrorPage(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri || !redirectUriAllowed(app, redirectUri)) {
      return authorizeErrorPage(
        400,
        'redirect_uri_mismatch',
        `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console. Request details: redirect_uri=${redirectUri}`,
      );
    }
    const problem = authorizeRequestProblem(q);
    if (problem) return authorizeErrorPage(400, problem.error, problem.detail);
    const scopes = splitScopes(q.get('scope'));
    const state = q.get('state') ?? undefined;
    const prompts = splitScopes(q.get('prompt'));
    if (prompts.includes('none') && !this.liveGrant(app.clientId, GOOGLE_SEED.user.sub)) {
      return redirect(withQuery(redirectUri, { error: 'consent_required', state }));
    }
    if (this.takeDenial()) {
      return redirect(withQuery(redirectUri, { error: 'access_denied', state }));
    }
    if (this.interactive && !prompts.includes('none')) {
      const decision = consentDecision(req.url);
      if (decision === undefined) return consentPage('Google', app.clientId, scopes, req.url);
      if (decision === 'deny') return redirect(withQuery(redirectUri, { error: 'access_denied', state }));
    }
    const userId = GOOGLE_SEED.user.sub;
    const granted =
      q.get('include_granted_scopes') === 'true' ? this.grantedScopes(app.clientId, userId) : [];
    const challenge = q.get('code_challenge');
    const code = this.codes.issue(
      {
        clientId: app.clientId,
        redirectUri,
        scopes: [...new Set([...granted, ...scopes])],
        userId,
        offline: q.get('access_type') === 'offline',
        forceConsent: prompts.includes('consent'),
        challenge: challenge
          ? { value: challenge, method: q.get('code_challenge_method') ?? 'plain' }
          : undefined,
      },
      randomToken('4/0A', 40),
    );
    this.stats.authorizations += 1;
    return redirect(withQuery(redirectUri, { state, code, scope: scopes.join(' ') }));
  }

  private liveGrant(clientId: string, userId: string): Grant | undefined {
    return [...this.grants.values()].find(
      (g) => g.clientId === clientId && g.userId === userId && !g.revoked,
    );
  }

  private grantedScopes(clientId: string, userId: string): string[] {
    const live = [...this.grants.values()].filter(
      (g) => g.clientId === clientId && g.userId === userId && !g.revoked,
    );
    return [...new Set(live.flatMap((g) => g.scopes))];
  }

  // ---- Token endpoint ----

  private token(req: FakeRequest): FakeResponse {
    const params = bodyParams(req);
    const basic = basicCredentials(req.headers);
    const clientId = params.get('client_id') ?? basic?.id;
    if (!clientId) return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
    const app = this.apps.get(clientId);
    if (!app) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    const secret = params.get('client_secret') ?? basic?.secret;
    if (secret === undefined) return oauthError(400, 'invalid_request', 'client_secret is missing.');
    if (secret !== app.clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
    const grantType = params.get('grant_type') ?? '';
    if (grantType === 'authorization_code') return this.exchangeCode(app, params);
    if (grantType === 'refresh_token') return this.refresh(app, params);
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
  }

  private exchangeCode(app: FakeApp, params: URLSearchParams): FakeResponse {
    const code = params.get('code');
    if (!code) return oauthError(400, 'invalid_request', 'Missing required parameter: code');
    const pending = this.codes.peek(code);
    if (!pending || pending.clientId !== app.clientId) return oauthError(400, 'invalid_grant', 'Bad Request');
    if (params.get('redirect_uri') !== pending.redirectUri)
      return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
    if (pending.challenge) {
      const verifier = params.get('code_verifier');
      if (!verifier) return oauthError(400, 'invalid_grant', 'Missing code verifier.');
      if (!pkceMatches(pending.challenge.value, pending.challenge.method, verifier)) {
        return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
      }
    }
    this.codes.spend(code);
    this.stats.codeExchanges += 1;
    // Google hands out a refresh token on the first offline consent, and again only when consent was forced.
    const firstConsent = ![...this.grants.values()].some(
      (g) => g.clientId === app.clientId && g.userId === pending.userId && !g.revoked && g.hasRefreshToken,
    );
    const withRefresh = pending.offline && (firstConsent || pending.forceConsent);
    const grant: Grant = {
      id: randomToken('g', 8),
      clientId: app.clientId,
      userId: pending.userId,
      scopes: pending.scopes,
      hasRefreshToken: withRefresh,
      revoked: false,
    };
    this.grants.set(grant.id, grant);
    const body: Record<string, unknown> = {
      access_token: this.issueAccessToken(grant),
      expires_in: ACCESS_TOKEN_SECONDS,
    };
    if (withRefresh) body.refresh_token = this.refreshTokens.add(randomToken('1//0g', 72), grant.id);
    body.scope = grant.scopes.join(' ');
    body.token_type = 'Bearer';
    return { status: 200, body };
  }

  private refresh(app: FakeApp, params: URLSearchParams): FakeResponse {
    const token = params.get('refresh_token');
    if (!token) return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
    const lookup = this.refreshTokens.lookup(token);
    if (lookup.state !== 'valid')
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    const grant = this.grants.get(lookup.grant);
    if (!grant || grant.revoked)
      return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    if (grant.clientId !== app.clientId) return oauthError(401, 'unauthorized_client', 'Unauthorized');
    this.stats.refreshes += 1;
    return {
      status: 200,
      body: {
        access_token: this.issueAccessToken(grant),
        expires_in: ACCESS_TOKEN_SECONDS,
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
      },
    };
  }

  private issueAccessToken(grant: Grant): string {
    return this.accessTokens.add(
      randomToken('ya29.a0', 90),
      grant.id,
      this.clock() + ACCESS_TOKEN_SECONDS * 1000,
    );
  }

  // ---- Revocation ----

  private revoke(req: FakeRequest): FakeResponse {
    const token = req.url.searchParams.get('token') ?? bodyParams(req).get('token');
    if (!token) return oauthError(400, 'invalid_request', 'Missing required parameter: token');
    const access = this.accessTokens.lookup(token);
    const refresh = this.refreshTokens.lookup(token);
    const live = access.state === 'valid' ? access : refresh.state === 'valid' ? refresh : undefined;
    if (!live || live.state !== 'valid') return oauthError(400, 'invalid_token', 'Token expired or revoked');
    const grantId = live.grant;
    const grant = this.grants.get(grantId);
    if (grant) grant.revoked = true;
    this.accessTokens.revokeWhere((id) => id === grantId);
    this.refreshTokens.revokeWhere((id) => id === grantId);
    this.stats.revocations += 1;
    return { status: 200, body: {} };
  }

  // ---- Bearer authentication shared by the APIs ----

  private authenticate(req: FakeRequest, api: 'ads' | 'youtube' | 'analytics'): Caller | FakeResponse {
    const service = SERVICE_NAMES[api];
    const token = req.bearer() ?? req.url.searchParams.get('access_token') ?? undefined;
    const www = { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' };
    if (!token) {
      const answer = rpcError(
        401,
        { details: [errorInfo('CREDENTIALS_MISSING', service)] },
        MISSING_CREDENTIALS,
      );
      return withLegacyErrors(answer, api, [
        {
          message: 'Login Required.',
          domain: 'global',
          reason: 'required',
          location: 'Authorization',
          locationType: 'header',
        },
      ]);
    }
    const lookup = this.accessTokens.lookup(token);
    const grant = lookup.state === 'valid' ? this.grants.get(lookup.grant) : undefined;
    if (!grant || grant.revoked) {
      const details = lookup.state === 'expired' ? [errorInfo('ACCESS_TOKEN_EXPIRED', service)] : [];
      const answer = rpcError(401, details.length > 0 ? { details } : {});
      return withLegacyErrors({ ...answer, headers: www }, api, [
        {
          message: 'Invalid Credentials',
          domain: 'global',
          reason: 'authError',
          location: 'Authorization',
          locationType: 'header',
        },
      ]);
    }
    return { grant };
  }

  private requireScope(
    caller: Caller,
    accepted: string[],
    api: 'ads' | 'youtube' | 'analytics',
  ): FakeResponse | undefined {
    if (caller.grant.scopes.some((s) => accepted.includes(s))) return undefined;
    const answer = rpcError(
      403,
      { details: [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', SERVICE_NAMES[api])] },
      'Request had insufficient authentication scopes.',
    );
    return withLegacyErrors(answer, api, [
      { message: 'Insufficient Permission', domain: 'global', reason: 'insufficientPermissions' },
    ]);
  }

  /**
   * The Google account behind every grant gets (or loses, with undefined) a condition Google Ads refuses with
   * HTTP 401 although the token is good: no Ads account, no 2-Step Verification, no Advanced Protection.
   */
  setAccountProblem(problem: GoogleAdsAccountProblem | undefined): void {
    this.accountProblem = problem;
  }

  // ---- Google Ads ----

  private ads(req: FakeRequest): FakeResponse {
    const caller = this.authenticate(req, 'ads');
    if ('status' in caller) return caller;
    if (this.accountProblem) {
      return this.adsFailure(401, [
        {
          errorCode: { authenticationError: this.accountProblem },
          message: ACCOUNT_PROBLEM_MESSAGES[this.accountProblem],
        },
      ]);
    }
    const scopeProblem = this.requireScope(caller, [GOOGLE_SCOPES.adwords], 'ads');
    if (scopeProblem) return scopeProblem;
    const tokenProblem = this.checkDeveloperToken(req);
    if (tokenProblem) return tokenProblem;
    const rest = req.path.slice(`/${this.adsVersion}/`.length);
    if (rest === 'customers:listAccessibleCustomers' && req.method === 'GET') {
      const names = GOOGLE_SEED.customers.filter((c) => c.direct).map((c) => `customers/${c.id}`);
      return this.adsAnswer({ resourceNames: names });
    }
    const match = /^customers\/([^/]+)\/(googleAds:search|googleAds:searchStream|campaigns:mutate)$/.exec(
      rest,
    );
    if (!match || req.method !== 'POST') return pageNotFound(req.path);
    const access = this.customerFor(match[1], req, caller);
    if ('error' in access) return access.error;
    const customer = access.customer;
    const body = req.json();
    if (!isRecord(body)) return badJson('Invalid JSON payload received. Unexpected token.');
    if (match[2] === 'campaigns:mutate') return this.mutateCampaigns(customer, body);
    return this.search(customer, body, match[2] === 'googleAds:searchStream');
  }

  /** Before the sunset the header was required and checked; now it is ignored unless the fake was told tokens. */
  private checkDeveloperToken(req: FakeRequest): FakeResponse | undefined {
    if (!this.developerTokens) return undefined;
    const token = header(req, 'developer-token');
    if (!token) {
      return this.adsFailure(400, [
        {
          errorCode: { requestError: 'DEVELOPER_TOKEN_PARAMETER_MISSING' },
          message: 'developer-token parameter is missing.',
        },
      ]);
    }
    if (!this.developerTokens.has(token)) {
      return this.adsFailure(401, [
        {
          errorCode: { authenticationError: 'DEVELOPER_TOKEN_INVALID' },
          message: 'The developer token is not valid.',
        },
      ]);
    }
    return undefined;
  }

  /** The customer a request may act on, following Google's login-customer-id rules. */
  private customerFor(
    cid: string,
    req: FakeRequest,
    caller: Caller,
  ): { customer: GoogleCustomerSeed } | { error: FakeResponse } {
    const fail = (status: number, errorCode: Record<string, string>, message: string) => ({
      error: this.adsFailure(status, [{ errorCode, message }]),
    });
    if (!/^\d{10}$/.test(cid))
      return fail(400, { requestError: 'INVALID_CUSTOMER_ID' }, 'Customer ID is invalid.');
    const login = header(req, 'login-customer-id');
    if (login !== undefined && !/^\d{10}$/.test(login)) {
      return fail(
        400,
        { headerError: 'INVALID_LOGIN_CUSTOMER_ID' },
        'The login customer ID could not be validated.',
      );
    }
    const customer = findCustomer(cid);
    const reachable =
      customer !== undefined &&
      (login === undefined ? customer.direct : findCustomer(login)?.direct === true && isUnder(cid, login));
    if (!customer || !reachable) {
      return fail(403, { authorizationError: 'USER_PERMISSION_DENIED' }, USER_PERMISSION_DENIED);
    }
    if (customer.status !== 'ENABLED') {
      return fail(403, { authorizationError: 'CUSTOMER_NOT_ENABLED' }, CUSTOMER_NOT_ENABLED);
    }
    if ((this.accessLevels.get(caller.grant.clientId) ?? 'basic') === 'test' && !customer.testAccount) {
      return fail(403, { authorizationError: 'CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION' }, TEST_ACCESS_ONLY);
    }
    return { customer };
  }

  private search(customer: GoogleCustomerSeed, body: Record<string, unknown>, stream: boolean): FakeResponse {
    if ('pageSize' in body) {
      return this.adsFailure(400, [
        {
          errorCode: { requestError: 'PAGE_SIZE_NOT_SUPPORTED' },
          message: `Setting the page size is not supported. Search Responses will have fixed page size of '${REAL_ADS_PAGE_SIZE}' rows.`,
        },
      ]);
    }
    const allowed = stream
      ? ['query', 'summaryRowSetting']
      : ['query', 'pageToken', 'validateOnly', 'searchSettings'];
    const unknown = Object.keys(body).find((k) => !allowed.includes(k));
    if (unknown)
      return badJson(`Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.`);
    const queryText = typeof body.query === 'string' ? body.query : '';
    if (!queryText.trim()) {
      return this.adsFailure(400, [
        {
          errorCode: { fieldError: 'REQUIRED' },
          message: 'The required field was not present.',
          location: { fieldPathElements: [{ fieldName: 'query' }] },
        },
      ]);
    }
    const parsed = parseGaql(queryText);
    if ('queryError' in parsed)
      return this.adsFailure(400, [queryErrorItem(parsed.queryError, parsed.message)]);
    const today = isoDay(this.clock());
    const checked = checkQuery(parsed, customer, today);
    if (checked) return this.adsFailure(400, [queryErrorItem(checked.queryError, checked.message)]);
    const fieldMask = parsed.select.map(camelPath).join(',');
    // A validate-only search checks the query and returns no rows.
    if (body.validateOnly === true) return this.adsAnswer({ fieldMask });
    const all = this.queryRows(parsed, customer, today);
    const limited = parsed.limit === undefined ? all : all.slice(0, parsed.limit);
    if (stream) return this.streamAnswer(limited, fieldMask);
    return this.searchPage(customer, queryText, body, limited, all.length, fieldMask);
  }

  /** Every row a GAQL search of a customer answers, computed from the seed (for tests to compare). */
  expectedSearch(customerId: string, gaql: string): Array<Record<string, unknown>> {
    const customer = findCustomer(customerId);
    const parsed = parseGaql(gaql);
    if (!customer || 'queryError' in parsed) throw new Error(`not a valid search for ${customerId}`);
    return this.queryRows(parsed, customer, isoDay(this.clock()));
  }

  private searchPage(
    customer: GoogleCustomerSeed,
    queryText: string,
    body: Record<string, unknown>,
    rows: Array<Record<string, unknown>>,
    total: number,
    fieldMask: string,
  ): FakeResponse {
    const fingerprint = createHash('sha256')
      .update(`${customer.id}\n${queryText}`)
      .digest('hex')
      .slice(0, 16);
    let offset = 0;
    if (typeof body.pageToken === 'string' && body.pageToken) {
      const token = decodeCursor(body.pageToken);
      if (!isRecord(token) || token.q !== fingerprint || typeof token.o !== 'number') {
        return this.adsFailure(400, [
          { errorCode: { requestError: 'INVALID_PAGE_TOKEN' }, message: 'Page token is invalid.' },
        ]);
      }
      offset = token.o;
    }
    const page = rows.slice(offset, offset + this.pageSize);
    const answer: Record<string, unknown> = {};
    if (page.length > 0) answer.results = page;
    if (offset + page.length < rows.length)
      answer.nextPageToken = encodeCursor({ q: fingerprint, o: offset + page.length });
    const settings = isRecord(body.searchSettings) ? body.searchSettings : {};
    if (settings.returnTotalResultsCount === true) answer.totalResultsCount = String(total);
    answer.fieldMask = fieldMask;
    answer.queryResourceConsumption = String(50 + rows.length);
    return this.adsAnswer(answer);
  }

  private streamAnswer(rows: Array<Record<string, unknown>>, fieldMask: string): FakeResponse {
    const id = requestId();
    const batches: Array<Record<string, unknown>> = [];
    for (let i = 0; i < rows.length; i += this.pageSize) {
      batches.push({ results: rows.slice(i, i + this.pageSize), fieldMask, requestId: id });
    }
    if (batches.length === 0) batches.push({ fieldMask, requestId: id });
    return { status: 200, headers: { 'request-id': id }, body: batches };
  }

  private queryRows(
    query: GaqlQuery,
    customer: GoogleCustomerSeed,
    today: string,
  ): Array<Record<string, unknown>> {
    const range = dateRange(query.conditions, today) ?? {
      since: addDays(today, -DELIVERY_DAYS),
      until: today,
    };
    // segments.date, .week (the Monday) and .month (the 1st) each group the range's days by that key.
    const dateSegment = DATE_SEGMENTS.find((f) => query.select.includes(f));
    const segmentedByDevice = query.select.includes('segments.device');
    const dates = daysBetween(range.since, range.until);
    const wantsMetrics = [
      ...query.select,
      ...query.conditions.map((c) => c.field),
      ...query.orderBy.map((o) => o.field),
    ].some((f) => f.startsWith('metrics.'));
    const records: FieldValues[] = [];
    for (const entity of this.entities(query.from, customer, query.select)) {
      const dateSlices = dateSegment ? groupDays(dates, dateSegment) : [dates];
      const deviceSlices = segmentedByDevice ? DEVICES.map((d) => [d]) : [DEVICES];
      for (const days of dateSlices) {
        for (const devices of deviceSlices) {
          const values = { ...entity.values };
          if (dateSegment) values[dateSegment] = segmentKey(days[0], dateSegment);
          if (segmentedByDevice) values['segments.device'] = devices[0];
          if (wantsMetrics)
            Object.assign(values, metricValues(this.sumCounts(entity.adGroups, days, devices, entity.split)));
          records.push(values);
        }
      }
    }
    const filtered = records.filter((r) =>
      query.conditions.every((c) => c.field === 'segments.date' || matches(r, c)),
    );
    sortRecords(filtered, query.orderBy);
    return filtered.map((r) => projectRow(r, query));
  }

  private entities(from: string, customer: GoogleCustomerSeed, select: string[]): AdsEntity[] {
    const customerValues = customerFieldValues(customer);
    const campaigns = this.campaigns.filter((c) => c.customerId === customer.id);
    const allGroups = campaigns.flatMap((c) => c.adGroups.map((g) => g.id));
    if (from === 'customer') return [{ values: customerValues, adGroups: allGroups }];
    if (from === 'geo_target_constant')
      return GEO_COUNTRIES.map((g) => ({ values: geoFieldValues(g), adGroups: [] }));
    if (from === 'ad_group_ad') {
      return campaigns.flatMap((c) =>
        c.adGroups.flatMap((g) => {
          const ads = adsOf(g);
          return ads.map((ad) => ({
            values: {
              ...customerValues,
              ...campaignFieldValues(c),
              ...adGroupFieldValues(c, g),
              ...adGroupAdFieldValues(c, g.id, ad),
            },
            adGroups: [g.id],
            split: { seed: 'ad', key: ad.id, parts: ads.map((a) => a.id) },
          }));
        }),
      );
    }
    if (from === 'geographic_view') {
      // Campaign and ad group fields segment a geographic view; without them it is one row per country and type.
      const countries = (CUSTOMER_COUNTRIES[customer.id] ?? [2840]).map(String);
      const byGroup = select.some((f) => f.startsWith('ad_group.'));
      const byCampaign = byGroup || select.some((f) => f.startsWith('campaign.'));
      const scopes: Array<{ values: FieldValues; adGroups: string[] }> = byGroup
        ? campaigns.flatMap((c) =>
            c.adGroups.map((g) => ({
              values: { ...campaignFieldValues(c), ...adGroupFieldValues(c, g) },
              adGroups: [g.id],
            })),
          )
        : byCampaign
          ? campaigns.map((c) => ({ values: campaignFieldValues(c), adGroups: c.adGroups.map((g) => g.id) }))
          : [{ values: {}, adGroups: allGroups }];
      return scopes.flatMap((scope) =>
        LOCATION_TYPES.flatMap((type) =>
          countries.map((country) => ({
            values: {
              ...customerValues,
              ...scope.values,
              'geographic_view.resource_name': `customers/${customer.id}/geographicViews/${country}~${type}`,
              'geographic_view.country_criterion_id': Number(country),
              'geographic_view.location_type': type,
            },
            adGroups: scope.adGroups,
            split: { seed: type, key: country, parts: countries },
          })),
        ),
      );
    }
    if (from === 'customer_client') {
      const clients = [customer, ...GOOGLE_SEED.customers.filter((c) => c.parent === customer.id)];
      return clients.map((c) => ({
        values: { ...customerValues, ...clientFieldValues(customer, c) },
        adGroups: [],
      }));
    }
    if (from === 'campaign') {
      return campaigns.map((c) => ({
        values: { ...customerValues, ...campaignFieldValues(c) },
        adGroups: c.adGroups.map((g) => g.id),
      }));
    }
    return campaigns.flatMap((c) =>
      c.adGroups.map((g) => ({
        values: { ...customerValues, ...campaignFieldValues(c), ...adGroupFieldValues(c, g) },
        adGroups: [g.id],
      })),
    );
  }

  private sumCounts(adGroups: string[], days: string[], devices: string[], split?: AdsSplit): AdsCounts {
    const total = zeroAdsCounts();
    for (const group of adGroups) {
      for (const day of days) {
        for (const device of devices) {
          const leaf = this.leafCounts(group, day, device);
          addAdsCounts(total, split ? shareOf(leaf, split, `${group}|${day}|${device}`) : leaf);
        }
      }
    }
    return total;
  }

  private leafCounts(adGroup: string, day: string, device: string): AdsCounts {
    const key = `${adGroup}|${day}|${device}`;
    let counts = this.metricsMemo.get(key);
    if (!counts) {
      const impressions = seededInt(50, 1500, key, 'impressions');
      const clicks = seededInt(0, Math.floor(impressions / 12), key, 'clicks');
      const conversions = seededInt(0, Math.floor(clicks / 5), key, 'conversions');
      counts = {
        impressions,
        clicks,
        costMicros: clicks * seededInt(20, 250, key, 'cpc') * 10_000,
        conversions,
        conversionsValue: conversions * seededInt(10, 100, key, 'value'),
        // All conversions add the actions left out of "Conversions" (e.g. store visits, calls).
        allConversions: conversions + seededInt(0, 3, key, 'other'),
        allConversionsValue: conversions * seededInt(10, 100, key, 'value') + seededInt(0, 40, key, 'other'),
        videoViews: seededInt(0, Math.floor(impressions / 20), key, 'video'),
      };
      this.metricsMemo.set(key, counts);
    }
    return counts;
  }

  private mutateCampaigns(customer: GoogleCustomerSeed, body: Record<string, unknown>): FakeResponse {
    const operations = Array.isArray(body.operations) ? body.operations : [];
    if (operations.length === 0) {
      return this.adsFailure(400, [
        {
          errorCode: { fieldError: 'REQUIRED_NONEMPTY_LIST' },
          message: 'The required field was not present.',
          location: { fieldPathElements: [{ fieldName: 'operations' }] },
        },
      ]);
    }
    const partial = body.partialFailure === true;
    const validateOnly = body.validateOnly === true;
    const planned = operations.map((op, index) => this.planCampaignOperation(customer, op, index));
    const failures = planned.flatMap((p) => ('error' in p ? [p.error] : []));
    if (failures.length > 0 && !partial) return this.adsFailure(400, failures);
    if (validateOnly) return this.adsAnswer({});
    const results = planned.map((p) => {
      if ('error' in p) return {};
      Object.assign(p.campaign, p.changes);
      const result: Record<string, unknown> = {
        resourceName: `customers/${customer.id}/campaigns/${p.campaign.id}`,
      };
      if (body.responseContentType === 'MUTABLE_RESOURCE') {
        result.campaign = projectRow(campaignFieldValues(p.campaign), {
          select: ['campaign.resource_name', 'campaign.id', 'campaign.name', 'campaign.status'],
          from: 'campaign',
        }).campaign;
      }
      return result;
    });
    const answer: Record<string, unknown> = { results };
    if (failures.length > 0) {
      answer.partialFailureError = {
        code: 3,
        message: failures.map((f) => f.message).join(', '),
        details: [this.failureDetail(failures)],
      };
    }
    return this.adsAnswer(answer);
  }

  private planCampaignOperation(
    customer: GoogleCustomerSeed,
    op: unknown,
    index: number,
  ): { campaign: GoogleCampaignSeed; changes: Partial<GoogleCampaignSeed> } | { error: AdsErrorItem } {
    const at = (...path: string[]) => ({
      fieldPathElements: [{ fieldName: 'operations', index }, ...path.map((fieldName) => ({ fieldName }))],
    });
    const fail = (errorCode: Record<string, string>, message: string, ...path: string[]) => ({
      error: { errorCode, message, location: at(...path) },
    });
    if (!isRecord(op)) return fail({ requestError: 'REQUIRED_FIELD_MISSING' }, 'Required field is missing.');
    const update = isRecord(op.update) ? op.update : undefined;
    const removeName = typeof op.remove === 'string' ? op.remove : undefined;
    const resourceName = update ? update.resourceName : removeName;
    if (!update && removeName === undefined) {
      return fail(
        { requestError: 'UNSUPPORTED_OPERATION' },
        'The fake supports update and remove operations only.',
      );
    }
    const idMatch =
      typeof resourceName === 'string' ? /^customers\/(\d+)\/campaigns\/(\d+)$/.exec(resourceName) : null;
    if (!idMatch)
      return fail(
        { requestError: 'RESOURCE_NAME_MALFORMED' },
        'Resource name is malformed.',
        update ? 'update' : 'remove',
      );
    const campaign = this.campaigns.find(
      (c) => c.customerId === customer.id && idMatch[1] === customer.id && c.id === idMatch[2],
    );
    if (!campaign)
      return fail(
        { mutateError: 'RESOURCE_NOT_FOUND' },
        'The requested resource was not found.',
        update ? 'update' : 'remove',
      );
    if (!update) return { campaign, changes: { status: 'REMOVED' } };
    const mask = typeof op.updateMask === 'string' ? splitList(op.updateMask) : [];
    if (mask.length === 0)
      return fail(
        { fieldMaskError: 'FIELD_MASK_MISSING' },
        'The field mask must be provided for update operations.',
      );
    const changes: Partial<GoogleCampaignSeed> = {};
    for (const field of mask) {
      if (field === 'status') {
        const status = update.status;
        if (status !== 'ENABLED' && status !== 'PAUSED') {
          return fail({ fieldError: 'INVALID_VALUE' }, 'The field value is invalid.', 'update', 'status');
        }
        changes.status = status;
      } else if (field === 'name') {
        if (typeof update.name !== 'string' || update.name.trim() === '') {
          return fail({ fieldError: 'REQUIRED' }, 'The required field was not present.', 'update', 'name');
        }
        changes.name = update.name;
      } else {
        return fail(
          { fieldMaskError: 'FIELD_NOT_FOUND' },
          'The field mask contained an invalid field.',
          'update_mask',
        );
      }
    }
    return { campaign, changes };
  }

  private adsAnswer(body: unknown): FakeResponse {
    return { status: 200, headers: { 'request-id': requestId() }, body };
  }

  private failureDetail(errors: AdsErrorItem[]): Record<string, unknown> {
    return {
      '@type': `type.googleapis.com/google.ads.googleads.${this.adsVersion}.errors.GoogleAdsFailure`,
      errors,
      requestId: requestId(),
    };
  }

  private adsFailure(status: number, errors: AdsErrorItem[]): FakeResponse {
    const detail = this.failureDetail(errors);
    const answer = rpcError(status, { details: [detail] });
    return { ...answer, headers: { 'request-id': String(detail.requestId) } };
  }

  // ---- YouTube Data API ----

  private youtube(req: FakeRequest): FakeResponse {
    const caller = this.authenticate(req, 'youtube');
    if ('status' in caller) return caller;
    const resource = req.path.slice(YOUTUBE_PREFIX.length);
    const route = `${req.method} ${resource}`;
    const write = route === 'PUT videos';
    if (route !== 'GET channels' && route !== 'GET videos' && !write) return pageNotFound(req.path);
    const scopeProblem = this.requireScope(
      caller,
      write ? YOUTUBE_WRITE_SCOPES : YOUTUBE_READ_SCOPES,
      'youtube',
    );
    if (scopeProblem) return scopeProblem;
    const quotaProblem = this.spendQuota(caller.grant.clientId, write ? 50 : 1);
    if (quotaProblem) return quotaProblem;
    const q = req.url.searchParams;
    const parts = splitList(q.get('part'));
    if (parts.length === 0)
      return youtubeError(400, 'Required parameter: part', 'global', 'required', 'part');
    const known = resource === 'channels' ? CHANNEL_PARTS : VIDEO_PARTS;
    const unknownPart = parts.find((p) => !known.includes(p));
    if (unknownPart) return youtubeError(400, `'${unknownPart}'`, 'youtube.part', 'unknownPart', 'part');
    if (route === 'GET channels') return this.listChannels(q, parts);
    if (route === 'GET videos') return this.listVideos(q, parts);
    return this.updateVideo(req, parts);
  }

  private spendQuota(clientId: string, units: number): FakeResponse | undefined {
    const key = `${clientId} ${isoDay(this.clock())}`;
    const used = this.quotaUsed.get(key) ?? 0;
    if (used + units > this.youtubeQuota) return quotaExceeded();
    this.quotaUsed.set(key, used + units);
    return undefined;
  }

  private listChannels(q: URLSearchParams, parts: string[]): FakeResponse {
    const filters = ['mine', 'id', 'forHandle', 'forUsername', 'managedByMe'].filter((f) => q.has(f));
    if (filters.length !== 1) {
      return youtubeError(
        400,
        filters.length === 0
          ? 'No filter selected. Expected one of: forUsername, managedByMe, forHandle, mine, id, categoryId'
          : 'Incompatible parameters specified in the request: ' + filters.join(', '),
        'youtube.parameter',
        filters.length === 0 ? 'missingRequiredParameter' : 'incompatibleParameters',
      );
    }
    const channel = GOOGLE_SEED.channel;
    const wanted =
      filters[0] === 'mine'
        ? q.get('mine') === 'true'
        : filters[0] === 'id'
          ? splitList(q.get('id')).includes(channel.id)
          : filters[0] === 'forHandle'
            ? (q.get('forHandle') ?? '').replace(/^@?/, '@').toLowerCase() === channel.customUrl
            : false;
    const items = wanted && this.hasChannel ? [this.channelResource(parts)] : [];
    return {
      status: 200,
      body: {
        kind: 'youtube#channelListResponse',
        etag: etag(JSON.stringify(items)),
        pageInfo: { totalResults: items.length, resultsPerPage: 5 },
        items,
      },
    };
  }

  private channelResource(parts: string[]): Record<string, unknown> {
    const c = GOOGLE_SEED.channel;
    const views = this.videos.reduce((s, v) => s + v.views, 0);
    const all: Record<string, unknown> = {
      snippet: {
        title: c.title,
        description: c.description,
        customUrl: c.customUrl,
        publishedAt: c.publishedAt,
        thumbnails: { default: { url: `https://yt3.example/${c.id}=s88`, width: 88, height: 88 } },
        localized: { title: c.title, description: c.description },
        country: 'US',
      },
      contentDetails: { relatedPlaylists: { likes: '', uploads: `UU${c.id.slice(2)}` } },
      statistics: {
        viewCount: String(views),
        subscriberCount: String(c.subscribers),
        hiddenSubscriberCount: false,
        videoCount: String(this.videos.length),
      },
      status: { privacyStatus: 'public', isLinked: true, longUploadsStatus: 'allowed', madeForKids: false },
    };
    return withParts({ kind: 'youtube#channel', etag: etag(c.id), id: c.id }, all, parts);
  }

  private listVideos(q: URLSearchParams, parts: string[]): FakeResponse {
    if (!q.has('id')) {
      return youtubeError(
        400,
        'No filter selected. Expected one of: myRating, chart, id',
        'youtube.parameter',
        'missingRequiredParameter',
      );
    }
    const ids = splitList(q.get('id'));
    const items = this.videos.filter((v) => ids.includes(v.id)).map((v) => this.videoResource(v, parts));
    return {
      status: 200,
      body: {
        kind: 'youtube#videoListResponse',
        etag: etag(JSON.stringify(items)),
        items,
        pageInfo: { totalResults: items.length, resultsPerPage: items.length },
      },
    };
  }

  private videoResource(v: YoutubeVideoSeed, parts: string[]): Record<string, unknown> {
    const channel = GOOGLE_SEED.channel;
    const snippet: Record<string, unknown> = {
      publishedAt: v.publishedAt,
      channelId: channel.id,
      title: v.title,
      description: v.description,
      thumbnails: {
        default: { url: `https://i.ytimg.example/vi/${v.id}/default.jpg`, width: 120, height: 90 },
      },
      channelTitle: channel.title,
    };
    if (v.tags) snippet.tags = v.tags;
    snippet.categoryId = v.categoryId;
    snippet.liveBroadcastContent = 'none';
    if (v.defaultLanguage) snippet.defaultLanguage = v.defaultLanguage;
    snippet.localized = { title: v.title, description: v.description };
    const all: Record<string, unknown> = {
      snippet,
      contentDetails: {
        duration: 'PT4M13S',
        dimension: '2d',
        definition: 'hd',
        caption: 'false',
        licensedContent: false,
      },
      status: {
        uploadStatus: 'processed',
        privacyStatus: 'public',
        license: 'youtube',
        embeddable: true,
        publicStatsViewable: true,
        madeForKids: false,
      },
      statistics: {
        viewCount: String(v.views),
        likeCount: String(v.likes),
        favoriteCount: '0',
        commentCount: String(v.comments),
      },
    };
    return withParts({ kind: 'youtube#video', etag: etag(JSON.stringify(v)), id: v.id }, all, parts);
  }

  private updateVideo(req: FakeRequest, parts: string[]): FakeResponse {
    const body = req.json();
    if (!isRecord(body)) return youtubeError(400, 'Parse Error', 'global', 'parseError');
    if (typeof body.id !== 'string' || body.id === '') {
      return youtubeError(400, 'Required', 'global', 'required', 'body.id');
    }
    const video = this.videos.find((v) => v.id === body.id);
    if (!video) {
      return youtubeError(
        404,
        'The video that you are trying to update cannot be found. Check the value of the <code>id</code> field in the request body to ensure that it is correct.',
        'youtube.video',
        'videoNotFound',
        'body.id',
      );
    }
    if (!parts.includes('snippet')) return this.videoAnswer(video, parts);
    const snippet = isRecord(body.snippet) ? body.snippet : {};
    const title = typeof snippet.title === 'string' ? snippet.title : '';
    if (title.trim() === '' || title.length > 100) {
      return youtubeError(
        400,
        'The request metadata specifies an invalid or empty video title.',
        'youtube.video',
        'invalidTitle',
      );
    }
    const categoryId = typeof snippet.categoryId === 'string' ? snippet.categoryId : '';
    if (!ASSIGNABLE_CATEGORIES.includes(categoryId)) {
      return youtubeError(
        400,
        'The <code>snippet.categoryId</code> property specifies an invalid category ID. Use the <code>videoCategories.list</code> method to retrieve supported categories.',
        'youtube.video',
        'invalidCategoryId',
      );
    }
    const description = typeof snippet.description === 'string' ? snippet.description : '';
    if (Buffer.byteLength(description) > 5000 || /[<>]/.test(description)) {
      return youtubeError(
        400,
        'The request metadata specifies an invalid video description.',
        'youtube.video',
        'invalidDescription',
      );
    }
    // An update replaces every mutable snippet field: whatever the body leaves out is cleared.
    video.title = title;
    video.categoryId = categoryId;
    video.description = description;
    video.tags = Array.isArray(snippet.tags)
      ? snippet.tags.filter((t): t is string => typeof t === 'string')
      : undefined;
    video.defaultLanguage = typeof snippet.defaultLanguage === 'string' ? snippet.defaultLanguage : undefined;
    return this.videoAnswer(video, parts);
  }

  private videoAnswer(video: YoutubeVideoSeed, parts: string[]): FakeResponse {
    return { status: 200, body: this.videoResource(video, parts) };
  }

  // ---- YouTube Analytics ----

  private analytics(req: FakeRequest): FakeResponse {
    const caller = this.authenticate(req, 'analytics');
    if ('status' in caller) return caller;
    if (req.method !== 'GET') return pageNotFound(req.path);
    const scopeProblem = this.requireScope(caller, ANALYTICS_SCOPES, 'analytics');
    if (scopeProblem) return scopeProblem;
    const q = req.url.searchParams;
    for (const name of ['ids', 'startDate', 'endDate', 'metrics']) {
      if (!q.get(name)) return youtubeError(400, `Required parameter: ${name}`, 'global', 'required', name);
    }
    const ids = q.get('ids') ?? '';
    if (ids !== 'channel==MINE' && ids !== `channel==${GOOGLE_SEED.channel.id}`) {
      return youtubeError(403, 'Forbidden', 'global', 'forbidden');
    }
    if (!this.hasChannel) return youtubeError(403, 'Forbidden', 'global', 'forbidden');
    const report = parseReport(q);
    if ('status' in report) return report;
    return { status: 200, body: reportTable(report, GOOGLE_SEED.channel.id) };
  }
}

// ---- Module helpers -------------------------------------------------------------------------------

const SERVICE_NAMES = {
  ads: 'googleads.googleapis.com',
  youtube: 'youtube.googleapis.com',
  analytics: 'youtubeanalytics.googleapis.com',
};

function header(req: FakeRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Form body, or JSON, which Google's token endpoint accepts too. */
function bodyParams(req: FakeRequest): URLSearchParams {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.includes('application/json')) return req.form();
  const body = req.json();
  const params = new URLSearchParams();
  if (isRecord(body)) for (const [k, v] of Object.entries(body)) if (typeof v === 'string') params.set(k, v);
  return params;
}

function splitScopes(value: string | null): string[] {
  return (value ?? '').split(/\s+/).filter((s) => s.length > 0);
}

function splitList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function authorizeErrorPage(status: number, error: string, detail: string): FakeResponse {
  return htmlPage(
    status,
    'Access blocked: Authorization Error',
    `<h1>Access blocked: Authorization Error</h1><p>${escapeHtml(detail)}</p><p>Error ${status}: ${escapeHtml(error)}</p>`,
  );
}

function authorizeRequestProblem(q: URLSearchParams): { error: string; detail: string } | undefined {
  if (q.get('response_type') !== 'code') {
    return { error: 'invalid_request', detail: `Invalid response_type: ${q.get('response_type') ?? ''}` };
  }
  const scopes = splitScopes(q.get('scope'));
  if (scopes.length === 0) return { error: 'invalid_request', detail: 'Missing required parameter: scope' };
  const invalid = scopes.filter((s) => !KNOWN_SCOPES.has(s));
  if (invalid.length > 0) {
    return {
      error: 'invalid_scope',
      detail: `Some requested scopes were invalid. {invalid=[${invalid.join(', ')}]}`,
    };
  }
  const accessType = q.get('access_type');
  if (accessType !== null && accessType !== 'online' && accessType !== 'offline') {
    return { error: 'invalid_request', detail: `Invalid access_type: ${accessType}` };
  }
  const method = q.get('code_challenge_method');
  if (method !== null && method !== 'S256' && method !== 'plain') {
    return { error: 'invalid_request', detail: `Invalid code_challenge_method: ${method}` };
  }
  return undefined;
}

function withLegacyErrors(
  answer: FakeResponse,
  api: 'ads' | 'youtube' | 'analytics',
  errors: Array<Record<string, string>>,
): FakeResponse {
  // The YouTube APIs keep the older errors[] list next to the newer status field.
  if (api === 'ads' || !isRecord(answer.body) || !isRecord(answer.body.error)) return answer;
  const { code, message, ...rest } = answer.body.error;
  return { ...answer, body: { error: { code, message, errors, ...rest } } };
}

function youtubeError(
  code: number,
  message: string,
  domain: string,
  reason: string,
  location?: string,
): FakeResponse {
  const item: Record<string, string> = { message, domain, reason };
  if (location) {
    item.location = location;
    item.locationType = location.startsWith('body') ? 'other' : 'parameter';
  }
  return { status: code, body: { error: { code, message, errors: [item] } } };
}

function quotaExceeded(): FakeResponse {
  const message =
    'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';
  return {
    status: 403,
    body: {
      error: { code: 403, message, errors: [{ message, domain: 'youtube.quota', reason: 'quotaExceeded' }] },
    },
  };
}

function faultResponse(
  fault: FakeFault,
  api: 'ads' | 'youtube' | 'analytics',
  adsVersion: string,
): FakeResponse {
  if (fault === 'token_expired') {
    const answer = rpcError(401, { details: [errorInfo('ACCESS_TOKEN_EXPIRED', SERVICE_NAMES[api])] });
    return withLegacyErrors(
      {
        ...answer,
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      },
      api,
      [
        {
          message: 'Invalid Credentials',
          domain: 'global',
          reason: 'authError',
          location: 'Authorization',
          locationType: 'header',
        },
      ],
    );
  }
  if (fault === 'server_error') {
    return withLegacyErrors(rpcError(503), api, [
      { message: 'The service is currently unavailable.', domain: 'global', reason: 'backendError' },
    ]);
  }
  if (api !== 'ads') return quotaExceeded();
  const id = requestId();
  const failure = {
    '@type': `type.googleapis.com/google.ads.googleads.${adsVersion}.errors.GoogleAdsFailure`,
    errors: [
      {
        errorCode: { quotaError: 'RESOURCE_EXHAUSTED' },
        message: 'Too many requests. Retry in 30 seconds.',
        details: {
          quotaErrorDetails: {
            rateScope: 'ACCOUNT',
            rateName: 'Requests per service per method',
            retryDelay: '30s',
          },
        },
      },
    ],
    requestId: id,
  };
  return { ...rpcError(429, { details: [failure] }), headers: { 'request-id': id } };
}

function etag(seed: string): string {
  return createHash('sha256').update(seed).digest('base64url').slice(0, 27);
}

function withParts(
  base: Record<string, unknown>,
  all: Record<string, unknown>,
  parts: string[],
): Record<string, unknown> {
  const out = { ...base };
  for (const part of parts) if (part !== 'id' && all[part] !== undefined) out[part] = all[part];
  return out;
}

const CHANNEL_PARTS = ['id', 'snippet', 'statistics', 'contentDetails', 'status'];
const VIDEO_PARTS = ['id', 'snippet', 'statistics', 'status', 'contentDetails'];
/** YouTube's assignable video categories (US). */
const ASSIGNABLE_CATEGORIES = [
  '1',
  '2',
  '10',
  '15',
  '17',
  '19',
  '20',
  '22',
  '23',
  '24',
  '25',
  '26',
  '27',
  '28',
  '29',
];

/** Google's JSON transcoding rejects bodies it cannot map, before the Ads API sees them. */
function badJson(description: string): FakeResponse {
  const violation = {
    '@type': 'type.googleapis.com/google.rpc.BadRequest',
    fieldViolations: [{ description }],
  };
  return rpcError(400, { details: [violation] }, description);
}

function queryErrorItem(code: string, message: string): AdsErrorItem {
  return { errorCode: { queryError: code }, message };
}

function findCustomer(id: string): GoogleCustomerSeed | undefined {
  return GOOGLE_SEED.customers.find((c) => c.id === id);
}

/** Whether `cid` is `ancestor` or sits below it in the manager hierarchy. */
function isUnder(cid: string, ancestor: string): boolean {
  for (let c = findCustomer(cid); c; c = c.parent ? findCustomer(c.parent) : undefined) {
    if (c.id === ancestor) return true;
  }
  return false;
}

// ---- GAQL ------------------------------------------------------------------------------------------

type FieldType = 'int64' | 'double' | 'bool' | 'string' | 'date';
type Scalar = string | number | boolean;
type FieldValues = Record<string, Scalar | undefined>;

const FIELDS: Record<string, Record<string, FieldType>> = {
  customer: {
    resource_name: 'string',
    id: 'int64',
    descriptive_name: 'string',
    manager: 'bool',
    status: 'string',
    currency_code: 'string',
    time_zone: 'string',
    test_account: 'bool',
  },
  customer_client: {
    resource_name: 'string',
    client_customer: 'string',
    id: 'int64',
    descriptive_name: 'string',
    manager: 'bool',
    status: 'string',
    level: 'int64',
    currency_code: 'string',
    time_zone: 'string',
    test_account: 'bool',
    hidden: 'bool',
  },
  campaign: {
    resource_name: 'string',
    id: 'int64',
    name: 'string',
    status: 'string',
    advertising_channel_type: 'string',
    bidding_strategy_type: 'string',
    serving_status: 'string',
  },
  ad_group: {
    resource_name: 'string',
    id: 'int64',
    name: 'string',
    status: 'string',
    type: 'string',
    campaign: 'string',
  },
  metrics: {
    impressions: 'int64',
    clicks: 'int64',
    cost_micros: 'int64',
    conversions: 'double',
    conversions_value: 'double',
    all_conversions: 'double',
    all_conversions_value: 'double',
    video_trueview_views: 'int64',
    ctr: 'double',
    average_cpc: 'double',
  },
  ad_group_ad: {
    resource_name: 'string',
    status: 'string',
    'ad.id': 'int64',
    'ad.name': 'string',
    'ad.type': 'string',
    'ad.resource_name': 'string',
  },
  geographic_view: { resource_name: 'string', country_criterion_id: 'int64', location_type: 'string' },
  geo_target_constant: {
    resource_name: 'string',
    id: 'int64',
    name: 'string',
    country_code: 'string',
    target_type: 'string',
    status: 'string',
    canonical_name: 'string',
  },
  segments: { date: 'date', week: 'date', month: 'date', device: 'string' },
};
/** What else a FROM resource lets a query select, besides metrics and segments. */
const ATTRIBUTED: Record<string, string[]> = {
  customer: ['customer'],
  customer_client: ['customer_client', 'customer'],
  campaign: ['campaign', 'customer'],
  ad_group: ['ad_group', 'campaign', 'customer'],
  ad_group_ad: ['ad_group_ad', 'ad_group', 'campaign', 'customer'],
  geographic_view: ['geographic_view', 'ad_group', 'campaign', 'customer'],
  geo_target_constant: ['geo_target_constant'],
};
/** Resources whose rows carry no metrics and no segments. */
const CONSTANT_RESOURCES = ['customer_client', 'geo_target_constant'];
const DURING = [
  'TODAY',
  'YESTERDAY',
  'LAST_7_DAYS',
  'LAST_14_DAYS',
  'LAST_30_DAYS',
  'LAST_BUSINESS_WEEK',
  'THIS_MONTH',
  'LAST_MONTH',
  'THIS_WEEK_SUN_TODAY',
  'THIS_WEEK_MON_TODAY',
  'LAST_WEEK_SUN_SAT',
  'LAST_WEEK_MON_SUN',
];

interface Condition {
  field: string;
  op: string;
  values: Scalar[];
}

interface GaqlQuery {
  select: string[];
  from: string;
  conditions: Condition[];
  orderBy: Array<{ field: string; desc: boolean }>;
  limit?: number;
}

interface QueryError {
  queryError: string;
  message: string;
}

interface Token {
  kind: 'word' | 'string' | 'number' | 'symbol';
  text: string;
}

const TOKEN_PATTERN =
  /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)\b|([A-Za-z_][A-Za-z0-9_.]*)|(>=|<=|!=|=|>|<|\(|\)|,))/y;

function tokenize(query: string): Token[] | QueryError {
  const tokens: Token[] = [];
  TOKEN_PATTERN.lastIndex = 0;
  while (TOKEN_PATTERN.lastIndex < query.length) {
    if (/^\s*$/.test(query.slice(TOKEN_PATTERN.lastIndex))) break;
    const at = TOKEN_PATTERN.lastIndex;
    const m = TOKEN_PATTERN.exec(query);
    if (!m) {
      const rest = query.slice(at).trim();
      if (rest.startsWith("'") || rest.startsWith('"')) {
        return { queryError: 'STRING_NOT_TERMINATED', message: 'Error in query: string not terminated.' };
      }
      return {
        queryError: 'UNEXPECTED_INPUT',
        message: `Error in query: unexpected input ${rest.split(/\s/)[0]}.`,
      };
    }
    if (m[1] !== undefined) tokens.push({ kind: 'string', text: m[1].slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[2] !== undefined) tokens.push({ kind: 'number', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'word', text: m[3] });
    else tokens.push({ kind: 'symbol', text: m[4] });
  }
  return tokens;
}

class GaqlParser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): GaqlQuery | QueryError {
    if (!this.keyword('SELECT'))
      return { queryError: 'EXPECTED_SELECT', message: 'Error in query: expected SELECT.' };
    const select: string[] = [];
    do {
      const field = this.next();
      if (field?.kind !== 'word' || !field.text.includes('.')) {
        return {
          queryError: 'BAD_FIELD_NAME',
          message: `Error in SELECT clause: invalid field name '${field?.text ?? ''}'.`,
        };
      }
      select.push(field.text);
    } while (this.symbol(','));
    if (!this.keyword('FROM'))
      return { queryError: 'EXPECTED_FROM', message: 'Error in query: expected FROM.' };
    const from = this.next();
    if (from?.kind !== 'word')
      return { queryError: 'UNEXPECTED_END_OF_QUERY', message: 'Error in query: unexpected end of query.' };
    const query: GaqlQuery = { select, from: from.text, conditions: [], orderBy: [] };
    if (this.keyword('WHERE')) {
      do {
        const condition = this.condition();
        if ('queryError' in condition) return condition;
        query.conditions.push(condition);
      } while (this.keyword('AND'));
    }
    if (this.keyword('ORDER')) {
      if (!this.keyword('BY')) return { queryError: 'EXPECTED_BY', message: 'Error in query: expected BY.' };
      do {
        const field = this.next();
        if (field?.kind !== 'word')
          return { queryError: 'BAD_FIELD_NAME', message: 'Error in ORDER BY clause: invalid field name.' };
        const desc = this.keyword('DESC');
        if (!desc) this.keyword('ASC');
        query.orderBy.push({ field: field.text, desc });
      } while (this.symbol(','));
    }
    if (this.keyword('LIMIT')) {
      const n = this.next();
      if (n?.kind !== 'number' || !/^\d+$/.test(n.text) || Number(n.text) < 1) {
        return { queryError: 'BAD_LIMIT_VALUE', message: 'Error in LIMIT clause: invalid limit value.' };
      }
      query.limit = Number(n.text);
    }
    if (this.keyword('PARAMETERS')) this.i = this.tokens.length;
    const extra = this.tokens[this.i];
    if (extra)
      return { queryError: 'UNEXPECTED_INPUT', message: `Error in query: unexpected input ${extra.text}.` };
    return query;
  }

  private condition(): Condition | QueryError {
    const field = this.next();
    if (field?.kind !== 'word' || !field.text.includes('.')) {
      return {
        queryError: 'BAD_FIELD_NAME',
        message: `Error in WHERE clause: invalid field name '${field?.text ?? ''}'.`,
      };
    }
    const opToken = this.next();
    let op = (opToken?.text ?? '').toUpperCase();
    if (op === 'NOT' && this.keyword('IN')) op = 'NOT IN';
    else if (op === 'NOT' && this.keyword('LIKE')) op = 'NOT LIKE';
    else if (op === 'IS') op = this.keyword('NOT') ? 'IS NOT NULL' : 'IS NULL';
    if (op === 'IS NULL' || op === 'IS NOT NULL') {
      if (!this.keyword('NULL'))
        return { queryError: 'BAD_OPERATOR', message: 'Error in WHERE clause: expected NULL.' };
      return { field: field.text, op, values: [] };
    }
    if (
      !['=', '!=', '>', '>=', '<', '<=', 'IN', 'NOT IN', 'LIKE', 'NOT LIKE', 'DURING', 'BETWEEN'].includes(op)
    ) {
      return {
        queryError: 'BAD_OPERATOR',
        message: `Error in WHERE clause: invalid operator '${opToken?.text ?? ''}'.`,
      };
    }
    if (op === 'IN' || op === 'NOT IN') {
      if (!this.symbol('('))
        return { queryError: 'EXPECTED_LIST', message: 'Error in WHERE clause: expected a list.' };
      const values: Scalar[] = [];
      if (!this.symbol(')')) {
        do {
          const v = this.value();
          if (v === undefined)
            return { queryError: 'BAD_VALUE', message: 'Error in WHERE clause: invalid value.' };
          values.push(v);
        } while (this.symbol(','));
        if (!this.symbol(')'))
          return { queryError: 'EXPECTED_LIST', message: 'Error in WHERE clause: list not closed.' };
      }
      if (values.length === 0) {
        return {
          queryError: 'PROHIBITED_EMPTY_LIST_IN_CONDITION',
          message: 'Error in WHERE clause: empty list.',
        };
      }
      return { field: field.text, op, values };
    }
    const first = this.value();
    if (first === undefined)
      return { queryError: 'BAD_VALUE', message: 'Error in WHERE clause: invalid value.' };
    if (op !== 'BETWEEN') return { field: field.text, op, values: [first] };
    if (!this.keyword('AND')) {
      return {
        queryError: 'EXPECTED_VALUE_WITH_BETWEEN_OPERATOR',
        message: 'Error in WHERE clause: BETWEEN needs AND.',
      };
    }
    const second = this.value();
    if (second === undefined)
      return { queryError: 'BAD_VALUE', message: 'Error in WHERE clause: invalid value.' };
    return { field: field.text, op, values: [first, second] };
  }

  private value(): Scalar | undefined {
    const t = this.next();
    if (!t || t.kind === 'symbol') return undefined;
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'word' && /^(true|false)$/i.test(t.text)) return t.text.toLowerCase() === 'true';
    return t.text;
  }

  private next(): Token | undefined {
    const t = this.tokens[this.i];
    if (t) this.i += 1;
    return t;
  }

  private keyword(word: string): boolean {
    const t = this.tokens[this.i];
    if (t?.kind === 'word' && t.text.toUpperCase() === word) {
      this.i += 1;
      return true;
    }
    return false;
  }

  private symbol(text: string): boolean {
    const t = this.tokens[this.i];
    if (t?.kind === 'symbol' && t.text === text) {
      this.i += 1;
      return true;
    }
    return false;
  }
}

function parseGaql(text: string): GaqlQuery | QueryError {
  const tokens = tokenize(text);
  return 'queryError' in tokens ? tokens : new GaqlParser(tokens).parse();
}

/** A field's resource: everything before the first dot (ad_group_ad.ad.id belongs to ad_group_ad). */
function resourceOf(field: string): string {
  return field.slice(0, field.indexOf('.'));
}

function fieldType(field: string): FieldType | undefined {
  const dot = field.indexOf('.');
  return FIELDS[field.slice(0, dot)]?.[field.slice(dot + 1)];
}

/** What Google checks after parsing: known fields, compatible resources, metrics and date ranges. */
function checkQuery(q: GaqlQuery, customer: GoogleCustomerSeed, today: string): QueryError | undefined {
  const compatible = ATTRIBUTED[q.from];
  if (!compatible) {
    return {
      queryError: 'BAD_RESOURCE_TYPE_IN_FROM_CLAUSE',
      message: `Error in FROM clause: invalid resource name '${q.from}'.`,
    };
  }
  const referenced = [...q.select, ...q.conditions.map((c) => c.field), ...q.orderBy.map((o) => o.field)];
  for (const field of referenced) {
    if (!fieldType(field))
      return { queryError: 'UNRECOGNIZED_FIELD', message: `Unrecognized field in the query: '${field}'.` };
    const resource = resourceOf(field);
    if (resource === 'metrics' && CONSTANT_RESOURCES.includes(q.from)) {
      return {
        queryError: 'PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE',
        message: `Cannot select or filter on the following metrics: '${field}' (could not support requested resources: 'CUSTOMER_CLIENT'), since metric is incompatible with the resource in the FROM clause or other selected segmenting resources.`,
      };
    }
    if (resource === 'segments' && CONSTANT_RESOURCES.includes(q.from)) {
      return {
        queryError: 'PROHIBITED_SEGMENT_IN_SELECT_OR_WHERE_CLAUSE',
        message: `Cannot select or filter on the following segments: '${field}' (could not support requested resources: 'CUSTOMER_CLIENT'), since segment is incompatible with the resource in the FROM clause or other selected segmenting resources.`,
      };
    }
    if (resource !== 'metrics' && resource !== 'segments' && !compatible.includes(resource)) {
      return {
        queryError: 'PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE',
        message: `Cannot select fields from the following resource: '${resource}', since the resource is incompatible with the resource in FROM clause.`,
      };
    }
  }
  if (
    customer.manager &&
    !CONSTANT_RESOURCES.includes(q.from) &&
    referenced.some((f) => f.startsWith('metrics.'))
  ) {
    return {
      queryError: 'REQUESTED_METRICS_FOR_MANAGER',
      message:
        'Metrics cannot be requested for a manager account. To retrieve metrics, issue separate requests against each client account under the manager account.',
    };
  }
  return checkDates(q, today);
}

function checkDates(q: GaqlQuery, today: string): QueryError | undefined {
  for (const c of q.conditions.filter((c) => c.field === 'segments.date')) {
    if (c.op === 'DURING') {
      if (typeof c.values[0] !== 'string' || !DURING.includes(c.values[0])) {
        return {
          queryError: 'INVALID_VALUE_WITH_DURING_OPERATOR',
          message: `Invalid value with DURING operator: ${String(c.values[0])}.`,
        };
      }
    } else if (c.values.some((v) => typeof v !== 'string' || !isIsoDay(v))) {
      return { queryError: 'INVALID_DATE_FORMAT', message: 'Invalid date format; dates must be YYYY-MM-DD.' };
    }
  }
  if (DATE_SEGMENTS.some((f) => q.select.includes(f)) && !dateRange(q.conditions, today)) {
    return {
      queryError: 'EXPECTED_FILTERS_ON_DATE_RANGE',
      message:
        'Error in query: segments.date in the SELECT clause requires a finite date range filter on segments.date in the WHERE clause.',
    };
  }
  return undefined;
}

/** The finite range the segments.date conditions describe; undefined when they leave either end open. */
function dateRange(conditions: Condition[], today: string): { since: string; until: string } | undefined {
  let since: string | undefined;
  let until: string | undefined;
  const raise = (d: string) => (since = since === undefined || d > since ? d : since);
  const lower = (d: string) => (until = until === undefined || d < until ? d : until);
  for (const c of conditions.filter((c) => c.field === 'segments.date')) {
    const [a, b] = c.values.map(String);
    if (c.op === 'DURING') {
      const [s, u] = duringRange(a, today);
      raise(s);
      lower(u);
    } else if (c.op === 'BETWEEN') {
      raise(a);
      lower(b);
    } else if (c.op === '=') {
      raise(a);
      lower(a);
    } else if (c.op === '>=') raise(a);
    else if (c.op === '>') raise(addDays(a, 1));
    else if (c.op === '<=') lower(a);
    else if (c.op === '<') lower(addDays(a, -1));
  }
  return since !== undefined && until !== undefined ? { since, until } : undefined;
}

function duringRange(literal: string, today: string): [string, string] {
  const weekday = new Date(`${today}T00:00:00Z`).getUTCDay(); // 0 Sunday
  const monthStart = `${today.slice(0, 8)}01`;
  switch (literal) {
    case 'TODAY':
      return [today, today];
    case 'YESTERDAY':
      return [addDays(today, -1), addDays(today, -1)];
    case 'LAST_7_DAYS':
      return [addDays(today, -7), addDays(today, -1)];
    case 'LAST_14_DAYS':
      return [addDays(today, -14), addDays(today, -1)];
    case 'LAST_30_DAYS':
      return [addDays(today, -30), addDays(today, -1)];
    case 'THIS_MONTH':
      return [monthStart, today];
    case 'LAST_MONTH': {
      const last = addDays(monthStart, -1);
      return [`${last.slice(0, 8)}01`, last];
    }
    case 'THIS_WEEK_SUN_TODAY':
      return [addDays(today, -weekday), today];
    case 'THIS_WEEK_MON_TODAY':
      return [addDays(today, -((weekday + 6) % 7)), today];
    case 'LAST_WEEK_SUN_SAT':
      return [addDays(today, -weekday - 7), addDays(today, -weekday - 1)];
    default: {
      // LAST_WEEK_MON_SUN and LAST_BUSINESS_WEEK both start on last week's Monday.
      const monday = addDays(today, -((weekday + 6) % 7) - 7);
      return [monday, addDays(monday, literal === 'LAST_BUSINESS_WEEK' ? 4 : 6)];
    }
  }
}

function matches(record: FieldValues, c: Condition): boolean {
  const value = record[c.field];
  if (c.op === 'IS NULL') return value === undefined;
  if (c.op === 'IS NOT NULL') return value !== undefined;
  if (value === undefined) return false;
  const equal = (v: Scalar) => String(v) === String(value);
  switch (c.op) {
    case '=':
      return equal(c.values[0]);
    case '!=':
      return !equal(c.values[0]);
    case 'IN':
      return c.values.some(equal);
    case 'NOT IN':
      return !c.values.some(equal);
    case 'LIKE':
    case 'NOT LIKE': {
      const pattern = new RegExp(
        `^${String(c.values[0])
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/%/g, '.*')
          .replace(/_/g, '.')}$`,
        'i',
      );
      return pattern.test(String(value)) === (c.op === 'LIKE');
    }
    case 'BETWEEN':
      return compare(value, c.values[0]) >= 0 && compare(value, c.values[1]) <= 0;
    case '>':
      return compare(value, c.values[0]) > 0;
    case '>=':
      return compare(value, c.values[0]) >= 0;
    case '<':
      return compare(value, c.values[0]) < 0;
    case '<=':
      return compare(value, c.values[0]) <= 0;
    default:
      return true;
  }
}

function compare(a: Scalar | undefined, b: Scalar | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const na = Number(a);
  const nb = Number(b);
  if (typeof a !== 'boolean' && typeof b !== 'boolean' && !Number.isNaN(na) && !Number.isNaN(nb))
    return na - nb;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function sortRecords(records: FieldValues[], orderBy: GaqlQuery['orderBy']): void {
  if (orderBy.length === 0) return;
  records.sort((x, y) => {
    for (const { field, desc } of orderBy) {
      const c = compare(x[field], y[field]);
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
}

function camelPath(field: string): string {
  return field.split('.').map(camel).join('.');
}

/** A GoogleAdsRow as REST returns it: nested lowerCamelCase objects, int64 as strings, resource names included. */
function projectRow(
  record: FieldValues,
  query: Pick<GaqlQuery, 'select' | 'from'>,
): Record<string, Record<string, unknown>> {
  const row: Record<string, Record<string, unknown>> = {};
  const resources = new Set([query.from, ...query.select.map(resourceOf)]);
  for (const resource of resources) {
    if (resource === 'metrics' || resource === 'segments') continue;
    const name = record[`${resource}.resource_name`];
    if (name !== undefined) row[camel(resource)] = { resourceName: name };
  }
  for (const field of query.select) {
    const value = record[field];
    if (value === undefined) continue;
    // Nested messages nest in the JSON too: ad_group_ad.ad.id is {"adGroupAd": {"ad": {"id": "…"}}}.
    const [resource, ...path] = field.split('.').map(camel);
    row[resource] ??= {};
    let into: Record<string, unknown> = row[resource];
    for (const key of path.slice(0, -1)) {
      const next = isRecord(into[key]) ? into[key] : {};
      into[key] = next;
      into = next;
    }
    into[path[path.length - 1]] = fieldType(field) === 'int64' ? String(value) : value;
  }
  return row;
}

interface AdsEntity {
  values: FieldValues;
  adGroups: string[];
  split?: AdsSplit;
}

/** An entity finer than an ad group (an ad, a country): its share of each ad group figure among its siblings. */
interface AdsSplit {
  seed: string;
  key: string;
  parts: string[];
}

/** The part's share of every count: integer shares of the whole, the rounding left to the first part. */
function shareOf(whole: AdsCounts, split: AdsSplit, leafKey: string): AdsCounts {
  const weights = split.parts.map((p) => seededInt(1, 9, leafKey, split.seed, p));
  const sum = weights.reduce((a, b) => a + b, 0);
  const index = split.parts.indexOf(split.key);
  const out = zeroAdsCounts();
  for (const k of Object.keys(out) as Array<keyof AdsCounts>) {
    const shares = weights.map((w) => Math.floor((whole[k] * w) / sum));
    const rest = whole[k] - shares.reduce((a, b) => a + b, 0);
    out[k] = shares[index] + (index === 0 ? rest : 0);
  }
  return out;
}

function adsOf(g: { id: string; name: string }): Array<{ id: string; name: string }> {
  return Array.from({ length: ADS_PER_GROUP }, (_, i) => ({
    id: `${g.id}${i + 1}`,
    name: `${g.name} / Ad ${i + 1}`,
  }));
}

function adGroupAdFieldValues(
  c: GoogleCampaignSeed,
  groupId: string,
  ad: { id: string; name: string },
): FieldValues {
  return {
    'ad_group_ad.resource_name': `customers/${c.customerId}/adGroupAds/${groupId}~${ad.id}`,
    'ad_group_ad.status': 'ENABLED',
    'ad_group_ad.ad.resource_name': `customers/${c.customerId}/ads/${ad.id}`,
    'ad_group_ad.ad.id': ad.id,
    'ad_group_ad.ad.name': ad.name,
    'ad_group_ad.ad.type': 'RESPONSIVE_SEARCH_AD',
  };
}

function geoFieldValues(g: { id: number; code: string; name: string }): FieldValues {
  return {
    'geo_target_constant.resource_name': `geoTargetConstants/${g.id}`,
    'geo_target_constant.id': g.id,
    'geo_target_constant.name': g.name,
    'geo_target_constant.country_code': g.code,
    'geo_target_constant.target_type': 'Country',
    'geo_target_constant.status': 'ENABLED',
    'geo_target_constant.canonical_name': g.name,
  };
}

interface AdsCounts {
  impressions: number;
  clicks: number;
  costMicros: number;
  conversions: number;
  conversionsValue: number;
  allConversions: number;
  allConversionsValue: number;
  videoViews: number;
}

function zeroAdsCounts(): AdsCounts {
  return {
    impressions: 0,
    clicks: 0,
    costMicros: 0,
    conversions: 0,
    conversionsValue: 0,
    allConversions: 0,
    allConversionsValue: 0,
    videoViews: 0,
  };
}

const DATE_SEGMENTS = ['segments.date', 'segments.week', 'segments.month'];

/** A day's key under a date segment: itself, the Monday of its week, or the 1st of its month. */
function segmentKey(day: string, segment: string): string {
  if (segment === 'segments.month') return `${day.slice(0, 8)}01`;
  if (segment === 'segments.week') {
    const weekday = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
    return addDays(day, -weekday);
  }
  return day;
}

function groupDays(days: string[], segment: string): string[][] {
  const groups = new Map<string, string[]>();
  for (const day of days) {
    const key = segmentKey(day, segment);
    groups.set(key, [...(groups.get(key) ?? []), day]);
  }
  return [...groups.values()];
}

function addAdsCounts(into: AdsCounts, part: AdsCounts): void {
  for (const key of Object.keys(into) as Array<keyof AdsCounts>) into[key] += part[key];
}

function metricValues(c: AdsCounts): FieldValues {
  return {
    'metrics.impressions': c.impressions,
    'metrics.clicks': c.clicks,
    'metrics.cost_micros': c.costMicros,
    'metrics.conversions': c.conversions,
    'metrics.conversions_value': c.conversionsValue,
    'metrics.all_conversions': c.allConversions,
    'metrics.all_conversions_value': c.allConversionsValue,
    'metrics.video_trueview_views': c.videoViews,
    'metrics.ctr': c.impressions > 0 ? c.clicks / c.impressions : 0,
    'metrics.average_cpc': c.clicks > 0 ? c.costMicros / c.clicks : 0,
  };
}

function customerFieldValues(c: GoogleCustomerSeed): FieldValues {
  return {
    'customer.resource_name': `customers/${c.id}`,
    'customer.id': c.id,
    'customer.descriptive_name': c.name,
    'customer.manager': c.manager,
    'customer.status': c.status,
    'customer.currency_code': c.currency,
    'customer.time_zone': c.timeZone,
    'customer.test_account': c.testAccount,
  };
}

function clientFieldValues(root: GoogleCustomerSeed, c: GoogleCustomerSeed): FieldValues {
  return {
    'customer_client.resource_name': `customers/${root.id}/customerClients/${c.id}`,
    'customer_client.client_customer': `customers/${c.id}`,
    'customer_client.id': c.id,
    'customer_client.descriptive_name': c.name,
    'customer_client.manager': c.manager,
    'customer_client.status': c.status,
    'customer_client.level': c.id === root.id ? 0 : 1,
    'customer_client.currency_code': c.currency,
    'customer_client.time_zone': c.timeZone,
    'customer_client.test_account': c.testAccount,
    'customer_client.hidden': false,
  };
}

function campaignFieldValues(c: GoogleCampaignSeed): FieldValues {
  return {
    'campaign.resource_name': `customers/${c.customerId}/campaigns/${c.id}`,
    'campaign.id': c.id,
    'campaign.name': c.name,
    'campaign.status': c.status,
    'campaign.advertising_channel_type': c.channel,
    'campaign.bidding_strategy_type': c.bidding,
    'campaign.serving_status': c.status === 'ENABLED' ? 'SERVING' : 'NONE',
  };
}

function adGroupFieldValues(c: GoogleCampaignSeed, g: GoogleCampaignSeed['adGroups'][number]): FieldValues {
  return {
    'ad_group.resource_name': `customers/${c.customerId}/adGroups/${g.id}`,
    'ad_group.id': g.id,
    'ad_group.name': g.name,
    'ad_group.status': g.status,
    'ad_group.type': 'SEARCH_STANDARD',
    'ad_group.campaign': `customers/${c.customerId}/campaigns/${c.id}`,
  };
}

// ---- YouTube Analytics reports ---------------------------------------------------------------------

const ANALYTICS_METRICS: Record<string, 'INTEGER' | 'FLOAT'> = {
  views: 'INTEGER',
  estimatedMinutesWatched: 'INTEGER',
  averageViewDuration: 'INTEGER',
  averageViewPercentage: 'FLOAT',
  likes: 'INTEGER',
  dislikes: 'INTEGER',
  comments: 'INTEGER',
  shares: 'INTEGER',
  subscribersGained: 'INTEGER',
  subscribersLost: 'INTEGER',
};
const ANALYTICS_DIMENSIONS = ['day', 'month'];
const UNSUPPORTED_QUERY =
  'The query is not supported. Check the documentation at https://developers.google.com/youtube/analytics/v2/available_reports for a list of supported queries.';

interface ReportQuery {
  startDate: string;
  endDate: string;
  metrics: string[];
  dimension?: string;
  sort: Array<{ name: string; desc: boolean }>;
  startIndex: number;
  maxResults?: number;
}

function parseReport(q: URLSearchParams): ReportQuery | FakeResponse {
  const startDate = q.get('startDate') ?? '';
  const endDate = q.get('endDate') ?? '';
  if (!isIsoDay(startDate) || !isIsoDay(endDate)) {
    return youtubeError(400, 'Invalid value. Dates must be YYYY-MM-DD.', 'global', 'invalidParameter');
  }
  if (startDate > endDate) return youtubeError(400, UNSUPPORTED_QUERY, 'global', 'badRequest');
  const metrics = splitList(q.get('metrics'));
  const badMetric = metrics.find((m) => !(m in ANALYTICS_METRICS));
  if (badMetric) {
    return youtubeError(
      400,
      `Unknown identifier (${badMetric}) given in field parameters.metrics.`,
      'global',
      'badRequest',
    );
  }
  const dimensions = splitList(q.get('dimensions'));
  const badDimension = dimensions.find((d) => !ANALYTICS_DIMENSIONS.includes(d));
  if (badDimension || dimensions.length > 1) {
    return youtubeError(
      400,
      badDimension
        ? `Unknown identifier (${badDimension}) given in field parameters.dimensions.`
        : UNSUPPORTED_QUERY,
      'global',
      'badRequest',
    );
  }
  const dimension = dimensions[0];
  // Monthly reports need whole months.
  if (dimension === 'month' && (!startDate.endsWith('-01') || addDays(endDate, 1).slice(8) !== '01')) {
    return youtubeError(400, UNSUPPORTED_QUERY, 'global', 'badRequest');
  }
  const sort = splitList(q.get('sort')).map((s) => ({ name: s.replace(/^-/, ''), desc: s.startsWith('-') }));
  if (sort.some((s) => s.name !== dimension && !metrics.includes(s.name))) {
    return youtubeError(400, UNSUPPORTED_QUERY, 'global', 'badRequest');
  }
  const startIndex = q.has('startIndex') ? Number(q.get('startIndex')) : 1;
  const maxResults = q.has('maxResults') ? Number(q.get('maxResults')) : undefined;
  if (!Number.isInteger(startIndex) || startIndex < 1) {
    return youtubeError(
      400,
      'Invalid value for startIndex; it must be at least 1.',
      'global',
      'invalidParameter',
    );
  }
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1)) {
    return youtubeError(
      400,
      'Invalid value for maxResults; it must be at least 1.',
      'global',
      'invalidParameter',
    );
  }
  return { startDate, endDate, metrics, dimension, sort, startIndex, maxResults };
}

interface DayCounts {
  views: number;
  minutes: number;
  likes: number;
  dislikes: number;
  comments: number;
  shares: number;
  subscribersGained: number;
  subscribersLost: number;
  percentSum: number;
  days: number;
}

function channelDay(channelId: string, day: string): DayCounts {
  const views = seededInt(100, 2000, channelId, day, 'views');
  return {
    views,
    minutes: views * seededInt(1, 4, channelId, day, 'minutes'),
    likes: seededInt(0, Math.floor(views / 20), channelId, day, 'likes'),
    dislikes: seededInt(0, Math.floor(views / 200), channelId, day, 'dislikes'),
    comments: seededInt(0, Math.floor(views / 100), channelId, day, 'comments'),
    shares: seededInt(0, Math.floor(views / 80), channelId, day, 'shares'),
    subscribersGained: seededInt(0, 20, channelId, day, 'subs+'),
    subscribersLost: seededInt(0, 5, channelId, day, 'subs-'),
    percentSum: seededInt(2000, 7000, channelId, day, 'pct') / 100,
    days: 1,
  };
}

function metricOf(c: DayCounts, metric: string): number {
  switch (metric) {
    case 'views':
      return c.views;
    case 'estimatedMinutesWatched':
      return c.minutes;
    case 'averageViewDuration':
      return c.views > 0 ? Math.round((c.minutes * 60) / c.views) : 0;
    case 'averageViewPercentage':
      return Math.round((c.percentSum / c.days) * 100) / 100;
    default:
      return c[
        metric as 'likes' | 'dislikes' | 'comments' | 'shares' | 'subscribersGained' | 'subscribersLost'
      ];
  }
}

function reportTable(r: ReportQuery, channelId: string): Record<string, unknown> {
  const groups = new Map<string, DayCounts>();
  for (const day of daysBetween(r.startDate, r.endDate)) {
    const key = r.dimension === 'day' ? day : r.dimension === 'month' ? day.slice(0, 7) : '';
    const counts = channelDay(channelId, day);
    const sum = groups.get(key);
    if (!sum) groups.set(key, counts);
    else for (const k of Object.keys(sum) as Array<keyof DayCounts>) sum[k] += counts[k];
  }
  let rows: Array<Array<string | number>> = [...groups.entries()].map(([key, c]) => [
    ...(r.dimension ? [key] : []),
    ...r.metrics.map((m) => metricOf(c, m)),
  ]);
  const names = [...(r.dimension ? [r.dimension] : []), ...r.metrics];
  const sort = r.sort.length > 0 ? r.sort : r.dimension ? [{ name: r.dimension, desc: false }] : [];
  rows.sort((a, b) => {
    for (const s of sort) {
      const i = names.indexOf(s.name);
      const c = compare(a[i], b[i]);
      if (c !== 0) return s.desc ? -c : c;
    }
    return 0;
  });
  rows = rows.slice(
    r.startIndex - 1,
    r.maxResults === undefined ? undefined : r.startIndex - 1 + r.maxResults,
  );
  const columnHeaders = [
    ...(r.dimension ? [{ name: r.dimension, columnType: 'DIMENSION', dataType: 'STRING' }] : []),
    ...r.metrics.map((m) => ({ name: m, columnType: 'METRIC', dataType: ANALYTICS_METRICS[m] })),
  ];
  // An empty result carries no rows field at all.
  return rows.length > 0
    ? { kind: 'youtubeAnalytics#resultTable', columnHeaders, rows }
    : { kind: 'youtubeAnalytics#resultTable', columnHeaders };
}
