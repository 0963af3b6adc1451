// A stand-in for LinkedIn: the OAuth 2.0 server on www.linkedin.com and the versioned Marketing /
// Community Management API (Rest.li 2.0) the connector uses, answering in LinkedIn's own shapes.
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
  redirect,
  redirectUriAllowed,
  withQuery,
} from './http';
import { TokenPairFakeBase } from './base';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

const AUTHORIZE_PATH = '/oauth/v2/authorization';
const TOKEN_PATH = '/oauth/v2/accessToken';
const REVOKE_PATH = '/oauth/v2/revoke';

const ACCESS_TOKEN_TTL_SECONDS = 5_184_000; // 60 days
const REFRESH_TOKEN_TTL_SECONDS = 31_536_000; // 365 days, counted from the first grant
const DEFAULT_CODE_TTL_SECONDS = 600;
/** Versions are active for a year after their month; older ones answer 426. */
const VERSION_LIFE_MONTHS = 12;
/** Where LinkedIn's migrations table names the sunset day, that day decides (426 from it on). */
const DOCUMENTED_SUNSETS: Record<string, string> = {
  '202511': '2026-11-16',
  '202601': '2027-01-15',
  '202602': '2027-02-15',
  '202603': '2027-03-16',
};
const MAX_ANALYTICS_FIELDS = 20;
const DEFAULT_PAGE_SIZE = 10;

const SCOPES = new Set([
  'openid',
  'profile',
  'email',
  'w_member_social',
  'r_member_social',
  'r_basicprofile',
  'r_liteprofile',
  'r_emailaddress',
  'r_1st_connections_size',
  'r_ads',
  'rw_ads',
  'r_ads_reporting',
  'r_organization_admin',
  'rw_organization_admin',
  'r_organization_social',
  'w_organization_social',
  'r_organization_followers',
]);

/** The scopes each developer product grants an app (learn.microsoft.com/linkedin/marketing/increasing-access). */
export const LINKEDIN_PRODUCT_SCOPES = {
  sign_in_openid: ['openid', 'profile', 'email'],
  advertising: [
    'r_ads',
    'rw_ads',
    'r_ads_reporting',
    'r_organization_social',
    'rw_organization_admin',
    'w_organization_social',
    'r_basicprofile',
  ],
  // The Community Management API must be the only product on its app.
  community_management: [
    'r_organization_social',
    'w_organization_social',
    'rw_organization_admin',
    'r_organization_admin',
    'r_organization_followers',
    'r_basicprofile',
    'w_member_social',
    'r_member_social',
  ],
} as const;

export type LinkedInProduct = keyof typeof LINKEDIN_PRODUCT_SCOPES;

// Which scopes open which resources (any one of the list suffices).
const SCOPES_FOR = {
  userinfo: ['openid', 'profile'], // all of them
  organizationAcls: [
    'rw_organization_admin',
    'r_organization_admin',
    'r_organization_social',
    'w_organization_social',
  ],
  // Reading ad accounts needs r_ads or rw_ads; r_ads_reporting opens adAnalytics only.
  adAccountUsers: ['r_ads', 'rw_ads'],
  adAnalytics: ['r_ads_reporting'],
};
/** Roles that may post as the organization. */
const POSTING_ROLES = new Set(['ADMINISTRATOR', 'DIRECT_SPONSORED_CONTENT_POSTER', 'CONTENT_ADMINISTRATOR']);

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };
const BAD_CODE = {
  error: 'invalid_request',
  error_description:
    'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists',
};
const BAD_REFRESH = {
  error: 'invalid_grant',
  error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked.',
};
const USER_CANCELLED = {
  error: 'user_cancelled_authorize',
  error_description: 'The user cancelled the authorization',
};

const EMPTY_TOKEN = { serviceErrorCode: 401, message: 'Empty oauth2_access_token', status: 401 };
const INVALID_TOKEN = {
  status: 401,
  serviceErrorCode: 65600,
  code: 'INVALID_ACCESS_TOKEN',
  message: 'Invalid access token',
};
const REVOKED_TOKEN = {
  status: 401,
  serviceErrorCode: 65601,
  code: 'REVOKED_ACCESS_TOKEN',
  message: 'The token used in the request has been revoked by the user',
};
// An access token past its 60 days. The code is as third-party clients report it [unconfirmed]; what matters
// is that it is not 65601, which LinkedIn keeps for a member who revoked the app.
const EXPIRED_TOKEN = {
  status: 401,
  serviceErrorCode: 65602,
  code: 'EXPIRED_ACCESS_TOKEN',
  message: 'The token used in the request has expired',
};
const THROTTLED = {
  status: 429,
  serviceErrorCode: 101,
  code: 'TOO_MANY_REQUESTS',
  message: 'Resource level throttle limit for calls to this resource is reached.',
};
const SERVER_ERROR = { message: 'Internal Server Error', status: 500 };
const VERSION_MISSING = {
  status: 400,
  code: 'VERSION_MISSING',
  message: 'A version must be present. Please specify a version by adding the LinkedIn-Version header.',
};
const NOT_FOUND = { message: 'No virtual resource found', status: 404 };

export interface LinkedInFakeOptions {
  interactiveConsent?: boolean;
  port?: number;
  /** Whether the app gets refresh tokens; LinkedIn grants them only to approved partners. Default true. */
  refreshTokens?: boolean;
  /** Life of an authorization code; 600 s unless given. */
  codeTtlSeconds?: number;
  /** Time source in epoch ms, so tests can age codes and tokens, and pick the active versions. */
  clock?: Clock;
  /**
   * Adds ad accounts 5003 (GBP, 600 campaigns: a daily campaign report of 30 days passes the 15,000-element
   * cap) and 5004 (15,050 campaigns: one day alone passes it).
   */
  largeAccounts?: boolean;
  /** Adds ad account 5005 (USD) with 50 campaign groups of one campaign each (the reports benchmark). */
  benchAccount?: boolean;
  latencyMs?: number;
}

export interface LinkedInMember {
  sub: string;
  name: string;
  given_name: string;
  family_name: string;
  email: string;
  email_verified: boolean;
  picture: string;
  locale: { country: string; language: string };
}

export interface LinkedInOrganizationAcl {
  organization: string;
  role: string;
  state: string;
}

export interface LinkedInAdAccount {
  account: string;
  role: string;
}

export interface LinkedInCampaign {
  urn: string;
  account: string;
  campaignGroup: string;
  creative: string;
  /** Inactive campaigns have no delivery, so adAnalytics leaves them out. */
  active: boolean;
}

export interface LinkedInPost {
  /** The URN LinkedIn answered in x-restli-id. */
  id: string;
  author: string;
  commentary: string;
  /** What LinkedIn shows of the commentary ("little" text: escapes undone, cut at a bare reserved character). */
  shown: string;
  visibility: string;
  lifecycleState: string;
  body: Record<string, unknown>;
}

interface LinkedInGrant {
  clientId: string;
  scopes: string[];
  /** When the refresh token of this grant dies; refreshing does not push it back. */
  refreshExpiresAt: number;
}

interface PendingCode {
  clientId: string;
  scopes: string[];
  redirectUri: string;
  challenge?: string;
  method?: string;
}

type Restli = string | Restli[] | { [key: string]: Restli };

interface DateParts {
  year: number;
  month: number;
  day: number;
}

const DEFAULT_MEMBER: LinkedInMember = {
  sub: 'yrZCpj2Z12',
  name: 'Sandra Sandbox',
  given_name: 'Sandra',
  family_name: 'Sandbox',
  email: 'sandra.sandbox@example.com',
  email_verified: true,
  picture: 'https://media.licdn.com/dms/image/sandbox/profile-displayphoto-shrink_100_100/0/1700000000000',
  locale: { country: 'US', language: 'en' },
};

const SEEDED_ACLS: LinkedInOrganizationAcl[] = [
  { organization: 'urn:li:organization:123', role: 'ADMINISTRATOR', state: 'APPROVED' },
  { organization: 'urn:li:organization:456', role: 'ADMINISTRATOR', state: 'APPROVED' },
  { organization: 'urn:li:organization:654', role: 'ADMINISTRATOR', state: 'APPROVED' },
  { organization: 'urn:li:organization:789', role: 'ANALYST', state: 'APPROVED' },
  { organization: 'urn:li:organization:321', role: 'ADMINISTRATOR', state: 'REQUESTED' },
];

const SEEDED_AD_ACCOUNTS: LinkedInAdAccount[] = [
  { account: 'urn:li:sponsoredAccount:5001', role: 'ACCOUNT_MANAGER' },
  { account: 'urn:li:sponsoredAccount:5002', role: 'VIEWER' },
];

/** Each ad account's currency (GET /rest/adAccounts/{id}); LinkedIn reports every account's days in UTC. */
const ACCOUNT_CURRENCY: Record<string, string> = {
  '5001': 'USD',
  '5002': 'EUR',
  '5003': 'GBP',
  '5004': 'USD',
};

/** adAnalytics stops at this many elements and says nothing about it. */
export const LINKEDIN_ELEMENT_CAP = 15_000;

function largeAccountCampaigns(account: number, count: number, firstId: number): LinkedInCampaign[] {
  return Array.from({ length: count }, (_, i) => campaign(firstId + i, account, 70_000 + (i % 20), true));
}

const SEEDED_CAMPAIGNS: LinkedInCampaign[] = [
  campaign(9001, 5001, 7001, true),
  campaign(9002, 5001, 7001, true),
  campaign(9003, 5001, 7002, false),
  campaign(9101, 5002, 7101, true),
];

function campaign(id: number, account: number, group: number, active: boolean): LinkedInCampaign {
  return {
    urn: `urn:li:sponsoredCampaign:${id}`,
    account: `urn:li:sponsoredAccount:${account}`,
    campaignGroup: `urn:li:sponsoredCampaignGroup:${group}`,
    creative: `urn:li:sponsoredCreative:${id - 1000}`,
    active,
  };
}

const PIVOTS: Record<string, (c: LinkedInCampaign) => string> = {
  ACCOUNT: (c) => c.account,
  CAMPAIGN_GROUP: (c) => c.campaignGroup,
  CAMPAIGN: (c) => c.urn,
  CREATIVE: (c) => c.creative,
};
const GRANULARITIES = new Set(['DAILY', 'MONTHLY', 'YEARLY', 'ALL']);

interface DayMetrics {
  impressions: number;
  clicks: number;
  cost: number;
  /** Members reached: for a bucket, not the sum of its days (see bucketReach). */
  reach: number;
}

/** The busiest day's reach plus 30% of the other days': a day is its own figure, longer buckets less than the sum. */
function bucketReach(daily: number[]): number {
  if (daily.length === 0) return 0;
  const max = Math.max(...daily);
  return max + Math.floor((daily.reduce((a, b) => a + b, 0) - max) * 0.3);
}

/** Delivery of one campaign on one day: a fixed function of both, so tests can predict sums. */
function dayMetrics(c: LinkedInCampaign, day: number): DayMetrics {
  if (!c.active) return { impressions: 0, clicks: 0, cost: 0, reach: 0 };
  const id = Number(c.urn.split(':').pop());
  const impressions = 50 + ((id * 31 + day * 17) % 200);
  const clicks = impressions % 7;
  return { impressions, clicks, cost: impressions * 0.05, reach: Math.floor(impressions * 0.7) };
}

const METRICS: Record<string, (m: DayMetrics) => number | string> = {
  impressions: (m) => m.impressions,
  clicks: (m) => m.clicks,
  landingPageClicks: (m) => m.clicks,
  costInLocalCurrency: (m) => m.cost.toFixed(2),
  costInUsd: (m) => (m.cost * 1.08).toFixed(2),
  likes: (m) => Math.floor(m.impressions / 50),
  comments: (m) => Math.floor(m.impressions / 200),
  shares: (m) => Math.floor(m.impressions / 300),
  follows: (m) => Math.floor(m.impressions / 400),
  totalEngagements: (m) => m.clicks + Math.floor(m.impressions / 50),
  externalWebsiteConversions: (m) => Math.floor(m.clicks / 3),
  externalWebsitePostClickConversions: (m) => Math.floor(Math.floor(m.clicks / 3) * 0.7),
  externalWebsitePostViewConversions: (m) =>
    Math.floor(m.clicks / 3) - Math.floor(Math.floor(m.clicks / 3) * 0.7),
  conversionValueInLocalCurrency: (m) => (Math.floor(m.clicks / 3) * 40).toFixed(2),
  approximateMemberReach: (m) => m.reach,
  oneClickLeads: () => 0,
  videoViews: () => 0,
};
const DEFAULT_ANALYTICS_FIELDS = ['impressions', 'clicks'];

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function json(status: number, body: unknown, headers?: Record<string, string>): FakeResponse {
  return { status, body, headers };
}

function illegalArgument(message: string): FakeResponse {
  return json(400, { status: 400, code: 'ILLEGAL_ARGUMENT', message });
}

function accessDenied(resource: string): FakeResponse {
  return json(403, {
    status: 403,
    serviceErrorCode: 100,
    code: 'ACCESS_DENIED',
    message: `Not enough permissions to access: ${resource}`,
  });
}

/** LinkedIn's answer to a body that breaks the schema. */
function unprocessable(path: string, problem: string): FakeResponse {
  return json(422, {
    status: 422,
    code: 'UNPROCESSABLE_ENTITY',
    message: `ERROR :: ${path} :: ${problem}\n`,
  });
}

function missingParameter(name: string): FakeResponse {
  return json(400, {
    error: 'invalid_request',
    error_description: `A required parameter "${name}" is missing`,
  });
}

function errorPage(reason: string): FakeResponse {
  return htmlPage(
    400,
    'LinkedIn',
    `<h1>Bummer, something went wrong.</h1><p><small>${escapeHtml(reason)}</small></p>`,
  );
}

/**
 * Parses one Rest.li 2.0 value as LinkedIn reads the raw query string: `(`, `)`, `,` and `:` are
 * structure when bare and data only when percent-encoded, which is why URNs inside List(...) must be
 * encoded and why a fully percent-encoded dateRange is not an object at all.
 */
export function parseRestli(raw: string): Restli {
  let pos = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at position ${pos} of ${raw}`);
  };
  const expect = (ch: string): void => {
    if (raw[pos] !== ch) fail(`expected '${ch}'`);
    pos++;
  };
  const leaf = (): string => {
    const start = pos;
    while (pos < raw.length && !'(),:'.includes(raw[pos])) pos++;
    if (pos === start) fail('expected a value');
    try {
      return decodeURIComponent(raw.slice(start, pos));
    } catch {
      return fail('bad percent-encoding');
    }
  };
  const value = (): Restli => {
    if (raw.startsWith('List(', pos)) {
      pos += 5;
      const items: Restli[] = [];
      while (raw[pos] !== ')') {
        if (items.length) expect(',');
        items.push(value());
      }
      pos++;
      return items;
    }
    if (raw[pos] === '(') {
      pos++;
      const fields: { [key: string]: Restli } = {};
      while (raw[pos] !== ')') {
        if (Object.keys(fields).length) expect(',');
        const key = leaf();
        expect(':');
        fields[key] = value();
      }
      pos++;
      return fields;
    }
    return leaf();
  };
  const result = value();
  if (pos !== raw.length) fail('unexpected trailing text');
  return result;
}

/** Query parameters with their values left raw (keys decoded), as Rest.li needs them. */
function rawQuery(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of url.search.slice(1).split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    params.set(key, eq < 0 ? '' : part.slice(eq + 1));
  }
  return params;
}

function dateParts(value: Restli | undefined): DateParts | undefined {
  if (!isRecord(value)) return undefined;
  const parts = ['year', 'month', 'day'].map((k) => {
    const v = value[k];
    return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  });
  if (parts.some(Number.isNaN) || Object.keys(value).length !== 3) return undefined;
  const [year, month, day] = parts;
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
    ? { year, month, day }
    : undefined;
}

function dayNumber(d: DateParts): number {
  return Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
}

function fromDayNumber(n: number): DateParts {
  const d = new Date(n * 86_400_000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The [first, last] day numbers of each reporting bucket of the range. */
function buckets(first: number, last: number, granularity: string): Array<[number, number]> {
  if (granularity === 'ALL') return [[first, last]];
  const out: Array<[number, number]> = [];
  let start = first;
  while (start <= last) {
    const d = fromDayNumber(start);
    let end = start;
    if (granularity === 'MONTHLY') end = Date.UTC(d.year, d.month, 0) / 86_400_000;
    if (granularity === 'YEARLY') end = Date.UTC(d.year, 11, 31) / 86_400_000;
    end = Math.min(end, last);
    out.push([start, end]);
    start = end + 1;
  }
  return out;
}

/**
 * The text LinkedIn shows for "little" commentary: `\\x` is a plain x, #hashtags, @[Name](urn) mentions and
 * URLs stay, and the post silently ends at the first other reserved character left bare, as LinkedIn does.
 */
export function littleText(commentary: string): string {
  let out = '';
  for (let i = 0; i < commentary.length; i++) {
    const rest = commentary.slice(i);
    const url = /^https?:\/\/\S+/.exec(rest);
    const mention = /^@\[([^\]]*)\]\(urn:li:[a-zA-Z]+:[A-Za-z0-9_-]+\)/.exec(rest);
    const whole = mention ?? url;
    const c = commentary[i];
    if (whole) {
      out += mention ? mention[1] : whole[0];
      i += whole[0].length - 1;
    } else if (c === '\\' && i + 1 < commentary.length) out += commentary[++i];
    else if ('|{}@[]()<>*_~\\'.includes(c)) break;
    else out += c;
  }
  return out;
}

export class LinkedInFake extends TokenPairFakeBase<LinkedInGrant> {
  readonly types: readonly FakeConnectorType[] = ['linkedin'];
  /** The member every consent signs in as. */
  readonly member: LinkedInMember = DEFAULT_MEMBER;
  readonly personUrn = `urn:li:person:${DEFAULT_MEMBER.sub}`;
  /** The member's organization roles; APPROVED ADMINISTRATOR ones are 123, 456 and 654. */
  readonly organizationAcls: LinkedInOrganizationAcl[] = SEEDED_ACLS.map((a) => ({ ...a }));
  /** Ad accounts the member has a role on (5001 manager, 5002 viewer). */
  readonly adAccounts: LinkedInAdAccount[] = SEEDED_AD_ACCOUNTS.map((a) => ({ ...a }));
  readonly campaigns: LinkedInCampaign[] = SEEDED_CAMPAIGNS.map((c) => ({ ...c }));
  /** adAnalytics calls answered, and how many of them were cut at the element cap. */
  readonly analyticsStats = { calls: 0, truncated: 0 };
  /** Posts created through POST /rest/posts, in order. */
  readonly posts: LinkedInPost[] = [];

  private readonly refreshTokensEnabled: boolean;
  /** The developer products of an app (absent: an app that may ask for any scope). */
  private readonly appProducts = new Map<string, LinkedInProduct[]>();
  private readonly codes: CodeBook<PendingCode>;
  private nextShareId = 7_300_000_000_000_000_001n;

  private readonly routes: Record<string, (req: FakeRequest, grant: LinkedInGrant) => FakeResponse> = {
    'GET /v2/userinfo': (_req, grant) => this.userinfo(grant),
    'GET /rest/organizationAcls': (req, grant) => this.organizationAclsFinder(req, grant),
    'GET /rest/adAccountUsers': (req, grant) => this.adAccountUsers(req, grant),
    'GET /rest/adAnalytics': (req, grant) => this.adAnalytics(req, grant),
    'GET /rest/adAccounts/{id}': (req, grant) => this.adAccount(req, grant),
    'POST /rest/posts': (req, grant) => this.createPost(req, grant),
  };

  private constructor(options: LinkedInFakeOptions) {
    super(options);
    this.refreshTokensEnabled = options.refreshTokens ?? true;
    this.codes = new CodeBook(options.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS, this.clock);
    if (options.benchAccount) {
      this.adAccounts.push({ account: 'urn:li:sponsoredAccount:5005', role: 'ACCOUNT_MANAGER' });
      this.campaigns.push(
        ...Array.from({ length: 50 }, (_, i) => campaign(50_001 + i, 5005, 80_001 + i, true)),
      );
    }
    if (options.largeAccounts) {
      this.adAccounts.push(
        { account: 'urn:li:sponsoredAccount:5003', role: 'ACCOUNT_MANAGER' },
        { account: 'urn:li:sponsoredAccount:5004', role: 'VIEWER' },
      );
      this.campaigns.push(
        ...largeAccountCampaigns(5003, 600, 20_001),
        ...largeAccountCampaigns(5004, 15_050, 30_001),
      );
    }
  }

  static async start(options: LinkedInFakeOptions = {}): Promise<LinkedInFake> {
    return new LinkedInFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    return {
      CONNECTOR_LINKEDIN_AUTHORIZE_URL: `${this.url}${AUTHORIZE_PATH}`,
      CONNECTOR_LINKEDIN_TOKEN_URL: `${this.url}${TOKEN_PATH}`,
      CONNECTOR_LINKEDIN_REVOKE_URL: `${this.url}${REVOKE_PATH}`,
      CONNECTOR_LINKEDIN_API_URL: this.url,
    };
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

  // ---- OAuth 2.0 -------------------------------------------------------------------------------

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const clientId = q.get('client_id') ?? '';
    const app = this.apps.get(clientId);
    if (!app) return errorPage('The passed in client_id is invalid.');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectUriAllowed(app, redirectUri)) {
      return errorPage('The redirect_uri does not match the registered value.');
    }
    if (q.get('response_type') !== 'code') return errorPage('response_type must be code.');
    const state = q.get('state') ?? undefined;
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.length) return errorPage('scope is required.');
    const products = this.appProducts.get(clientId);
    const granted = products
      ? new Set<string>(products.flatMap((p) => [...LINKEDIN_PRODUCT_SCOPES[p]]))
      : SCOPES;
    const unknown = scopes.find((s) => !granted.has(s));
    if (unknown !== undefined) {
      return redirect(
        withQuery(redirectUri, {
          error: 'unauthorized_scope_error',
          error_description: `Scope "${unknown}" is not authorized for your application`,
          state,
        }),
      );
    }
    const challenge = q.get('code_challenge') ?? undefined;
    const method = challenge ? (q.get('code_challenge_method') ?? 'plain') : undefined;

    const decision = consentDecision(req.url);
    if (this.interactive && !decision) return consentPage('LinkedIn', clientId, scopes, req.url);
    if (this.takeDenial() || decision === 'deny') {
      return redirect(withQuery(redirectUri, { ...USER_CANCELLED, state }));
    }
    const code = this.codes.issue(
      { clientId, scopes, redirectUri, challenge, method },
      randomToken('AQT', 48),
    );
    this.stats.authorizations++;
    return redirect(withQuery(redirectUri, { code, state }));
  }

  /** LinkedIn takes the client credentials in the form body only. */
  private client(form: URLSearchParams): FakeApp | FakeResponse {
    const clientId = form.get('client_id');
    const secret = form.get('client_secret');
    if (!clientId) return missingParameter('client_id');
    if (!secret) return missingParameter('client_secret');
    const app = this.apps.get(clientId);
    return app && app.clientSecret === secret ? app : json(401, INVALID_CLIENT);
  }

  private token(req: FakeRequest): FakeResponse {
    const form = req.form();
    const grantType = form.get('grant_type');
    if (!grantType) return missingParameter('grant_type');
    const app = this.client(form);
    if ('status' in app) return app;
    if (grantType === 'authorization_code') return this.exchangeCode(app, form);
    if (grantType === 'refresh_token') return this.refresh(app, form);
    return json(400, {
      error: 'unsupported_grant_type',
      error_description: `Grant type ${grantType} is not supported`,
    });
  }

  private exchangeCode(app: FakeApp, form: URLSearchParams): FakeResponse {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code) return missingParameter('code');
    if (!redirectUri) return missingParameter('redirect_uri');
    const pending = this.codes.peek(code);
    // LinkedIn answers every mismatch with the same catch-all description.
    if (!pending || pending.clientId !== app.clientId || pending.redirectUri !== redirectUri) {
      return json(400, BAD_CODE);
    }
    if (pending.challenge !== undefined) {
      const verifier = form.get('code_verifier');
      if (!verifier || !pkceMatches(pending.challenge, pending.method ?? 'plain', verifier))
        return json(400, BAD_CODE);
    }
    this.codes.spend(code);
    this.stats.codeExchanges++;
    const grant: LinkedInGrant = {
      clientId: app.clientId,
      scopes: pending.scopes,
      refreshExpiresAt: this.clock() + REFRESH_TOKEN_TTL_SECONDS * 1000,
    };
    const body = this.accessTokenBody(grant);
    if (this.refreshTokensEnabled) {
      const refreshToken = this.refreshTokens.add(randomToken('AQX', 48), grant, grant.refreshExpiresAt);
      body.refresh_token = refreshToken;
      body.refresh_token_expires_in = this.refreshTokens.secondsLeft(refreshToken);
    }
    return json(200, body);
  }

  private refresh(app: FakeApp, form: URLSearchParams): FakeResponse {
    const token = form.get('refresh_token');
    if (!token) return missingParameter('refresh_token');
    const found = this.refreshTokens.lookup(token);
    if (found.state !== 'valid' || found.grant.clientId !== app.clientId) return json(400, BAD_REFRESH);
    this.stats.refreshes++;
    // No rotation, and the refresh token keeps the expiry of the original grant.
    return json(200, {
      ...this.accessTokenBody(found.grant),
      refresh_token: token,
      refresh_token_expires_in: this.refreshTokens.secondsLeft(token),
    });
  }

  /** LinkedIn reports the granted scopes comma-separated and sorted, whatever separator was asked with. */
  private accessTokenBody(grant: LinkedInGrant): Record<string, unknown> {
    const expiresAt = this.clock() + ACCESS_TOKEN_TTL_SECONDS * 1000;
    return {
      access_token: this.accessTokens.add(randomToken('AQV', 96), grant, expiresAt),
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      scope: [...grant.scopes].sort().join(','),
    };
  }

  private revoke(req: FakeRequest): FakeResponse {
    const form = req.form();
    const app = this.client(form);
    if ('status' in app) return app;
    const token = form.get('token');
    if (!token) return missingParameter('token');
    const refresh = this.refreshTokens.lookup(token);
    if (refresh.state !== 'unknown' && refresh.grant.clientId === app.clientId) {
      const grant = refresh.grant;
      this.refreshTokens.revokeWhere((g) => g === grant);
      this.accessTokens.revokeWhere((g) => g === grant);
    } else {
      const access = this.accessTokens.lookup(token);
      if (access.state !== 'unknown' && access.grant.clientId === app.clientId)
        this.accessTokens.revoke(token);
    }
    this.stats.revocations++;
    return { status: 200 };
  }

  // ---- API -------------------------------------------------------------------------------------

  private api(req: FakeRequest): FakeResponse {
    this.stats.apiCalls++;
    const path = req.path.replace(/^\/rest\/adAccounts\/[0-9]+$/, '/rest/adAccounts/{id}');
    const route = this.routes[`${req.method} ${path}`];
    if (!route) return json(404, NOT_FOUND);
    const fault = this.faults.take(req.path);
    if (fault) return LinkedInFake.faultResponse(fault);
    if (req.path.startsWith('/rest/')) {
      const refused = this.checkVersionHeaders(req);
      if (refused) return refused;
    }
    const token = req.bearer();
    if (!token) return json(401, EMPTY_TOKEN);
    const found = this.accessTokens.lookup(token);
    if (found.state === 'unknown') return json(401, INVALID_TOKEN);
    if (found.state === 'expired') return json(401, EXPIRED_TOKEN);
    if (found.state !== 'valid') return json(401, REVOKED_TOKEN);
    return route(req, found.grant);
  }

  private static faultResponse(fault: FakeFault): FakeResponse {
    switch (fault) {
      case 'rate_limit':
        return json(429, THROTTLED); // LinkedIn sends no Retry-After: its limits are daily
      case 'server_error':
        return json(500, SERVER_ERROR);
      case 'token_expired':
        return json(401, EXPIRED_TOKEN);
    }
  }

  private checkVersionHeaders(req: FakeRequest): FakeResponse | undefined {
    const version = req.headers['linkedin-version'];
    if (typeof version !== 'string' || !version) return json(400, VERSION_MISSING);
    const m = /^(\d{4})(\d{2})(\.\d{2})?$/.exec(version);
    const now = new Date(this.clock());
    const monthsOld = m
      ? (now.getUTCFullYear() - Number(m[1])) * 12 + (now.getUTCMonth() + 1 - Number(m[2]))
      : Number.NaN;
    const validMonth = m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12;
    const sunset = DOCUMENTED_SUNSETS[version];
    const sunsetPassed = sunset !== undefined && this.clock() >= Date.parse(`${sunset}T00:00:00Z`);
    if (!validMonth || sunsetPassed || !(monthsOld >= 0 && monthsOld <= VERSION_LIFE_MONTHS)) {
      return json(426, {
        status: 426,
        code: 'NONEXISTENT_VERSION',
        message: `Requested version ${version} is not active`,
      });
    }
    if (req.headers['x-restli-protocol-version'] !== '2.0.0') {
      return illegalArgument('This resource requires the header X-Restli-Protocol-Version: 2.0.0');
    }
    return undefined;
  }

  private static hasAny(grant: LinkedInGrant, scopes: string[]): boolean {
    return scopes.some((s) => grant.scopes.includes(s));
  }

  private userinfo(grant: LinkedInGrant): FakeResponse {
    if (!SCOPES_FOR.userinfo.every((s) => grant.scopes.includes(s)))
      return accessDenied('userinfo.GET.NO_VERSION');
    const { email, email_verified, ...rest } = this.member;
    return json(200, grant.scopes.includes('email') ? { ...rest, email, email_verified } : rest);
  }

  private paging(req: FakeRequest): { start: number; count: number } | FakeResponse {
    const q = req.url.searchParams;
    const start = Number(q.get('start') ?? 0);
    const count = Number(q.get('count') ?? DEFAULT_PAGE_SIZE);
    if (!Number.isInteger(start) || start < 0)
      return illegalArgument(`Invalid value for param start: ${q.get('start')}`);
    if (!Number.isInteger(count) || count < 1)
      return illegalArgument(`Invalid value for param count: ${q.get('count')}`);
    return { start, count };
  }

  private organizationAclsFinder(req: FakeRequest, grant: LinkedInGrant): FakeResponse {
    const q = req.url.searchParams;
    if (q.get('q') !== 'roleAssignee') return illegalArgument(`Invalid finder: ${q.get('q') ?? '(none)'}`);
    if (!LinkedInFake.hasAny(grant, SCOPES_FOR.organizationAcls)) {
      return accessDenied('organizationAcls.FINDER-roleAssignee');
    }
    const page = this.paging(req);
    if ('status' in page) return page;
    const role = q.get('role');
    const state = q.get('state');
    const matching = this.organizationAcls.filter(
      (a) => (role === null || a.role === role) && (state === null || a.state === state),
    );
    const elements = matching
      .slice(page.start, page.start + page.count)
      .map((a) => ({ ...a, roleAssignee: this.personUrn }));
    const links: Array<Record<string, string>> = [];
    if (page.start + page.count < matching.length) {
      const next = new URLSearchParams(q);
      next.set('start', String(page.start + page.count));
      next.set('count', String(page.count));
      links.push({ rel: 'next', href: `/rest/organizationAcls?${next}`, type: 'application/json' });
    }
    return json(200, {
      elements,
      paging: { start: page.start, count: page.count, total: matching.length, links },
    });
  }

  private adAccountUsers(req: FakeRequest, grant: LinkedInGrant): FakeResponse {
    const q = req.url.searchParams.get('q');
    if (q !== 'authenticatedUser') return illegalArgument(`Invalid finder: ${q ?? '(none)'}`);
    if (!LinkedInFake.hasAny(grant, SCOPES_FOR.adAccountUsers)) {
      return accessDenied('adAccountUsers.FINDER-authenticatedUser');
    }
    const page = this.paging(req);
    if ('status' in page) return page;
    // Pages of `count` (10 unless asked), and like LinkedIn no total and no next link: a full page means "ask again".
    const elements = this.adAccounts
      .slice(page.start, page.start + page.count)
      .map((a) => ({ ...a, user: this.personUrn }));
    return json(200, { elements, paging: { start: page.start, count: page.count, links: [] } });
  }

  /** Gives an app exactly these developer products: it may then ask only for their scopes. */
  setAppProducts(clientId: string, products: LinkedInProduct[]): void {
    this.appProducts.set(clientId, products);
  }

  /** The member removes the app in their LinkedIn settings: its access tokens then answer 65601, its refresh tokens invalid_grant. */
  memberRevokesApp(): void {
    this.accessTokens.revokeAll();
    this.refreshTokens.revokeAll();
  }

  /** Gives the member a role on `count` more ad accounts (ids from 6001), as an agency would have. */
  seedAdAccounts(count: number): string[] {
    const ids = Array.from({ length: count }, (_, i) => String(6001 + this.adAccounts.length + i));
    for (const id of ids) this.adAccounts.push({ account: `urn:li:sponsoredAccount:${id}`, role: 'VIEWER' });
    return ids;
  }

  private adAccount(req: FakeRequest, grant: LinkedInGrant): FakeResponse {
    const id = req.path.split('/').pop() ?? '';
    const urn = `urn:li:sponsoredAccount:${id}`;
    if (
      !LinkedInFake.hasAny(grant, SCOPES_FOR.adAnalytics) ||
      !this.adAccounts.some((a) => a.account === urn)
    ) {
      return accessDenied('adAccounts.GET');
    }
    return json(200, {
      id: Number(id),
      name: `Sandbox ad account ${id}`,
      currency: ACCOUNT_CURRENCY[id] ?? 'USD',
      reference: 'urn:li:organization:123',
      status: 'ACTIVE',
      type: 'BUSINESS',
      test: false,
    });
  }

  /** The elements adAnalytics answers for an account, computed from the seed (for tests to compare). */
  expectedElements(
    accountId: string,
    pivot: string,
    granularity: string,
    since: string,
    until: string,
    fields: string[],
  ): Array<Record<string, unknown>> {
    const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;
    const campaigns = this.campaigns.filter((c) => c.account === `urn:li:sponsoredAccount:${accountId}`);
    return buckets(day(since), day(until), granularity).flatMap(([first, last]) =>
      this.bucketElements(campaigns, PIVOTS[pivot], first, last, fields),
    );
  }

  private adAnalytics(req: FakeRequest, grant: LinkedInGrant): FakeResponse {
    const raw = rawQuery(req.url);
    if (raw.get('q') !== 'analytics') return illegalArgument(`Invalid finder: ${raw.get('q') ?? '(none)'}`);
    if (!LinkedInFake.hasAny(grant, SCOPES_FOR.adAnalytics))
      return accessDenied('adAnalytics.FINDER-analytics');

    const pivot = raw.get('pivot') ?? '';
    if (!PIVOTS[pivot]) return illegalArgument(`Invalid value for param pivot: ${pivot}`);
    const granularity = raw.get('timeGranularity') ?? '';
    if (!GRANULARITIES.has(granularity))
      return illegalArgument(`Invalid value for param timeGranularity: ${granularity}`);

    const range = this.parseDateRange(raw.get('dateRange'));
    if ('status' in range) return range;
    const selected = this.selectCampaigns(raw);
    if (!Array.isArray(selected)) return selected;

    const fields = decodeURIComponent(raw.get('fields') ?? '')
      .split(',')
      .filter(Boolean);
    const wanted = fields.length ? fields : DEFAULT_ANALYTICS_FIELDS;
    if (wanted.length > MAX_ANALYTICS_FIELDS) {
      return illegalArgument(
        `Too many fields requested: ${wanted.length}; at most ${MAX_ANALYTICS_FIELDS} are allowed`,
      );
    }
    const unknown = wanted.find((f) => f !== 'dateRange' && f !== 'pivotValues' && !METRICS[f]);
    if (unknown !== undefined) return illegalArgument(`Invalid value for param fields: ${unknown}`);

    const all = buckets(range.first, range.last, granularity).flatMap(([first, last]) =>
      this.bucketElements(selected, PIVOTS[pivot], first, last, wanted),
    );
    this.analyticsStats.calls += 1;
    if (all.length > LINKEDIN_ELEMENT_CAP) this.analyticsStats.truncated += 1;
    // Everything comes in one answer, silently cut at the cap; the paging object says nothing useful.
    const elements = all.slice(0, LINKEDIN_ELEMENT_CAP);
    return json(200, { elements, paging: { start: 0, count: DEFAULT_PAGE_SIZE, links: [] } });
  }

  private parseDateRange(raw: string | undefined): { first: number; last: number } | FakeResponse {
    if (raw === undefined) return illegalArgument('Missing required param: dateRange');
    let parsed: Restli;
    try {
      parsed = parseRestli(raw);
    } catch (err) {
      return illegalArgument(`Invalid value for param dateRange: ${messageOf(err)}`);
    }
    const start = isRecord(parsed) ? dateParts(parsed.start) : undefined;
    const end = isRecord(parsed) && parsed.end !== undefined ? dateParts(parsed.end) : undefined;
    if (!start || (isRecord(parsed) && parsed.end !== undefined && !end)) {
      return illegalArgument(`Invalid value for param dateRange: ${raw}`);
    }
    const first = dayNumber(start);
    const last = end ? dayNumber(end) : Math.floor(this.clock() / 86_400_000);
    if (last < first) return illegalArgument('dateRange end is before its start');
    return { first, last };
  }

  /** The campaigns an `accounts=List(...)` or `campaigns=List(...)` facet selects. */
  private selectCampaigns(raw: Map<string, string>): LinkedInCampaign[] | FakeResponse {
    const facet = raw.has('accounts') ? 'accounts' : raw.has('campaigns') ? 'campaigns' : undefined;
    if (!facet) return illegalArgument('One of the facets accounts or campaigns is required');
    let urns: Restli;
    try {
      urns = parseRestli(raw.get(facet) ?? '');
    } catch (err) {
      return illegalArgument(`Invalid value for param ${facet}: ${messageOf(err)}`);
    }
    const pattern = facet === 'accounts' ? /^urn:li:sponsoredAccount:\d+$/ : /^urn:li:sponsoredCampaign:\d+$/;
    if (
      !Array.isArray(urns) ||
      !urns.length ||
      !urns.every((u) => typeof u === 'string' && pattern.test(u))
    ) {
      return illegalArgument(`Invalid value for param ${facet}: ${raw.get(facet)}`);
    }
    const mine = new Set(this.adAccounts.map((a) => a.account));
    const chosen = this.campaigns.filter((c) => urns.includes(facet === 'accounts' ? c.account : c.urn));
    const reachable =
      facet === 'accounts'
        ? urns.every((u) => typeof u === 'string' && mine.has(u))
        : chosen.length === urns.length;
    if (!reachable || !chosen.every((c) => mine.has(c.account)))
      return accessDenied('adAnalytics.FINDER-analytics');
    return chosen;
  }

  private bucketElements(
    campaigns: LinkedInCampaign[],
    pivotOf: (c: LinkedInCampaign) => string,
    first: number,
    last: number,
    fields: string[],
  ): Array<Record<string, unknown>> {
    const totals = new Map<string, DayMetrics>();
    const dailyReach = new Map<string, number[]>();
    for (const c of campaigns) {
      const key = pivotOf(c);
      const sum = totals.get(key) ?? { impressions: 0, clicks: 0, cost: 0, reach: 0 };
      const reach = dailyReach.get(key) ?? Array.from({ length: last - first + 1 }, () => 0);
      for (let day = first; day <= last; day++) {
        const m = dayMetrics(c, day);
        sum.impressions += m.impressions;
        sum.clicks += m.clicks;
        sum.cost += m.cost;
        reach[day - first] += m.reach;
      }
      totals.set(key, sum);
      dailyReach.set(key, reach);
    }
    for (const [key, m] of totals) m.reach = bucketReach(dailyReach.get(key) ?? []);
    // Like LinkedIn, rows without delivery are left out.
    return [...totals]
      .filter(([, m]) => m.impressions > 0)
      .map(([pivotValue, m]) => {
        const element: Record<string, unknown> = {};
        for (const f of fields) {
          if (f === 'dateRange')
            element.dateRange = { start: fromDayNumber(first), end: fromDayNumber(last) };
          else if (f === 'pivotValues') element.pivotValues = [pivotValue];
          else element[f] = METRICS[f](m);
        }
        return element;
      });
  }

  private createPost(req: FakeRequest, grant: LinkedInGrant): FakeResponse {
    const body = req.json();
    if (!isRecord(body)) return unprocessable('', 'the request body is not a JSON object');
    const required = ['author', 'commentary', 'visibility', 'distribution', 'lifecycleState'];
    const missing = required.find((k) => body[k] === undefined);
    if (missing !== undefined)
      return unprocessable(`/${missing}`, 'field is required but not found and has no default value');
    const { author, commentary, visibility, distribution, lifecycleState } = body;
    if (typeof author !== 'string' || typeof commentary !== 'string') {
      return unprocessable('/author', 'author and commentary must be strings');
    }
    if (
      typeof visibility !== 'string' ||
      !['PUBLIC', 'CONNECTIONS', 'LOGGED_IN', 'CONTAINER'].includes(visibility)
    ) {
      return unprocessable('/visibility', `"${String(visibility)}" is not an enum symbol`);
    }
    if (!isRecord(distribution) || !['MAIN_FEED', 'NONE'].includes(String(distribution.feedDistribution))) {
      return unprocessable(
        '/distribution/feedDistribution',
        'field is required but not found and has no default value',
      );
    }
    if (typeof lifecycleState !== 'string' || !['PUBLISHED', 'DRAFT'].includes(lifecycleState)) {
      return unprocessable('/lifecycleState', `"${String(lifecycleState)}" is not an enum symbol`);
    }
    if (!this.mayPostAs(author, grant)) return accessDenied('partnerApiPostsExternal.CREATE');

    const id = `urn:li:share:${this.nextShareId++}`;
    this.posts.push({
      id,
      author,
      commentary,
      shown: littleText(commentary),
      visibility,
      lifecycleState,
      body,
    });
    return { status: 201, headers: { 'x-restli-id': id, 'x-linkedin-id': id } };
  }

  private mayPostAs(author: string, grant: LinkedInGrant): boolean {
    if (author === this.personUrn) return grant.scopes.includes('w_member_social');
    return (
      grant.scopes.includes('w_organization_social') &&
      this.organizationAcls.some(
        (a) => a.organization === author && a.state === 'APPROVED' && POSTING_ROLES.has(a.role),
      )
    );
  }
}
