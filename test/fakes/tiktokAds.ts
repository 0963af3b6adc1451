// A stand-in for TikTok API for Business (Marketing API v1.3): the advertiser authorization page that sends
// `auth_code` back, the JSON token exchange, long-term tokens in an `Access-Token` header, every answer an
// HTTP 200 envelope {code, message, request_id, data}, trailing slashes required, and synchronous reports
// (report/integrated/get/) over seeded advertisers whose figures agree across levels and ranges.
//
// Codes the fake answers with (TikTok's "return codes"; the ones marked [unconfirmed] are our reading):
// 40001 no permission / app_id or secret refused at the token endpoint [unconfirmed], 40002 invalid parameter
// (also a bad auth_code [unconfirmed]), 40100 too many requests, 40102 token expired, 40104 token missing,
// 40105 token invalid, 40067 report too large [unconfirmed threshold], 50000 system error.
// Figures are strings; "-" where a figure is not available: a ratio without a denominator, and the conversion
// metrics of campaigns that track no event (the seeded Brand Lift campaigns) [unconfirmed reading of "-"].
import { randomBytes } from 'node:crypto';
import { TokenPairFakeBase } from './base';
import {
  Clock,
  CodeBook,
  consentDecision,
  consentPage,
  escapeHtml,
  FakeRequest,
  FakeResponse,
  htmlPage,
  isIsoDay,
  isRecord,
  daysBetween,
  randomToken,
  RateWindows,
  redirect,
  redirectUriAllowed,
  withQuery,
} from './http';
import {
  ADDITIVE,
  adDay,
  aggregate,
  CURRENCY_DECIMALS,
  DATA_START,
  DayFigures,
  Level,
  SeedAd,
  SeedAdvertiser,
  SeedCampaign,
  seedAdvertisers,
} from './tiktokAdsSeed';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

const VERSION = 'v1.3';
const AUTHORIZE_PATH = '/portal/auth';
const API_BASE = `/open_api/${VERSION}`;
const TOKEN_PATH = `${API_BASE}/oauth2/access_token/`;
const REVOKE_PATH = `${API_BASE}/oauth2/revoke_token/`;

/** An auth_code lives an hour and works once. */
const CODE_TTL_SECONDS = 3600;
const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
const DEFAULT_MAX_REPORT_ROWS = 10_000;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 10;
/** With stat_time_day a report spans at most 30 days; without, a year [unconfirmed for the latter]. */
const MAX_DAILY_SPAN_DAYS = 30;
const MAX_SPAN_DAYS = 365;
const MAX_INFO_IDS = 100;
/** The permission scopes a consent grants: TikTok answers them as numbers. */
const GRANTED_SCOPES = [1, 2, 3, 4];

export const CODES = {
  ok: 0,
  noPermission: 40001,
  invalidParameter: 40002,
  tooManyRequests: 40100,
  advertiserRateLimit: 40016,
  appRateLimit: 40133,
  tokenExpired: 40102,
  tokenMissing: 40104,
  tokenInvalid: 40105,
  queryTooLarge: 40067,
  systemError: 50000,
} as const;

const LEVELS: Record<string, { level: Level; idDimension: string }> = {
  AUCTION_ADVERTISER: { level: 'advertiser', idDimension: 'advertiser_id' },
  AUCTION_CAMPAIGN: { level: 'campaign', idDimension: 'campaign_id' },
  AUCTION_ADGROUP: { level: 'adgroup', idDimension: 'adgroup_id' },
  AUCTION_AD: { level: 'ad', idDimension: 'ad_id' },
};
const LEVEL_ORDER: Level[] = ['advertiser', 'campaign', 'adgroup', 'ad'];
const REPORT_PARAMS = new Set([
  'advertiser_id',
  'report_type',
  'service_type',
  'data_level',
  'dimensions',
  'metrics',
  'start_date',
  'end_date',
  'query_lifetime',
  'page',
  'page_size',
  'order_field',
  'order_type',
]);

type Derived = { of: (f: DayFigures) => [number, number]; scale: number; money: boolean };
/** Ratios per row from the row's own sums; "-" where the denominator is zero. */
const DERIVED: Record<string, Derived> = {
  ctr: { of: (f) => [f.clicks, f.impressions], scale: 100, money: false },
  cpc: { of: (f) => [f.spend, f.clicks], scale: 1, money: true },
  cpm: { of: (f) => [f.spend, f.impressions], scale: 1000, money: true },
  frequency: { of: (f) => [f.impressions, f.reach], scale: 1, money: false },
  cost_per_conversion: { of: (f) => [f.spend, f.conversion], scale: 1, money: true },
  conversion_rate: { of: (f) => [f.conversion, f.clicks], scale: 100, money: false },
  cost_per_complete_payment: { of: (f) => [f.spend, f.complete_payment], scale: 1, money: true },
  complete_payment_roas: { of: (f) => [f.total_complete_payment_rate, f.spend], scale: 1, money: false },
};
const MONEY = new Set(['spend', 'total_complete_payment_rate']);
/** Metrics of conversion events: "-" for an entity none of whose campaigns tracks one. */
const CONVERSION_METRICS = new Set([
  'conversion',
  'complete_payment',
  'total_complete_payment_rate',
  'cost_per_conversion',
  'conversion_rate',
  'cost_per_complete_payment',
  'complete_payment_roas',
]);
/** Attribute metrics and the highest level that has them. */
const ATTRIBUTES: Record<string, Level> = {
  campaign_name: 'campaign',
  campaign_id: 'adgroup',
  adgroup_name: 'adgroup',
  adgroup_id: 'ad',
  ad_name: 'ad',
};
const INFO_FIELDS = new Set([
  'advertiser_id',
  'name',
  'currency',
  'timezone',
  'display_timezone',
  'status',
  'company',
  'country',
]);

export interface TikTokAdsFakeOptions {
  interactiveConsent?: boolean;
  port?: number;
  clock?: Clock;
  /** Delay before every answer, in ms (benchmarks). */
  latencyMs?: number;
  /** API calls per app per minute before code 40100. */
  rateLimitPerMinute?: number;
  /** Rows one report may hold before code 40067 asks for a smaller one. */
  maxReportRows?: number;
}

export interface TikTokAdsUser {
  core_user_id: string;
  display_name: string;
  email: string;
}

interface AdsGrant {
  appId: string;
  userId: string;
  advertiserIds: string[];
}

interface PendingCode extends AdsGrant {
  redirectUri: string;
}

/** One entity of a report: its id, its names, and the ads under it. */
interface Entity {
  id: string;
  attributes: Record<string, string>;
  ads: Array<{ ad: SeedAd; campaign: SeedCampaign }>;
}

const DEFAULT_USER: TikTokAdsUser = {
  core_user_id: '7300000000000000099',
  display_name: 'Supertrack Sandbox Marketer',
  email: 'marketer@sandbox.invalid',
};

function jsonArray(value: string | null): unknown[] | undefined {
  if (value === null) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** YYYY-MM-DD of an instant in an IANA time zone. */
function localDay(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
}

/** An app's `clientId` (see addApp) is its TikTok for Business app_id. */
export class TikTokAdsFake extends TokenPairFakeBase<AdsGrant> {
  readonly types: readonly FakeConnectorType[] = ['tiktok_ads'];
  /** The person every consent signs in as. */
  readonly user: TikTokAdsUser = DEFAULT_USER;
  /** The seeded advertisers: EUR in Europe/Berlin (50 campaigns), JPY in Asia/Tokyo, USD in America/Los_Angeles. */
  readonly advertisers: SeedAdvertiser[] = seedAdvertisers();
  /** The parameters of every report request that reached the report route, in order (what a test checks). */
  readonly reportLog: Array<Record<string, string>> = [];
  /** Advertisers a consent grants; all seeded ones unless set. */
  grantedAdvertisers: string[] = this.advertisers.map((a) => a.advertiser_id);

  private readonly codes: CodeBook<PendingCode>;
  private readonly limits: RateWindows;
  private readonly rateLimit: number;
  private readonly maxReportRows: number;
  private readonly codeFaults: Array<{ code: number; pattern?: RegExp }> = [];
  private readonly dayCache = new Map<string, DayFigures>();

  private readonly routes: Record<string, (req: FakeRequest, grant: AdsGrant) => FakeResponse> = {
    [`GET ${API_BASE}/user/info/`]: () =>
      this.ok({ ...this.user, avatar_url: null, create_time: 1_700_000_000 }),
    [`GET ${API_BASE}/oauth2/advertiser/get/`]: (req, grant) => this.advertiserGet(req, grant),
    [`GET ${API_BASE}/advertiser/info/`]: (req, grant) => this.advertiserInfo(req, grant),
    [`GET ${API_BASE}/report/integrated/get/`]: (req, grant) => this.report(req, grant),
  };

  private constructor(options: TikTokAdsFakeOptions) {
    super(options);
    this.codes = new CodeBook(CODE_TTL_SECONDS, this.clock);
    this.limits = new RateWindows(60, this.clock);
    this.rateLimit = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    this.maxReportRows = options.maxReportRows ?? DEFAULT_MAX_REPORT_ROWS;
  }

  static async start(options: TikTokAdsFakeOptions = {}): Promise<TikTokAdsFake> {
    return new TikTokAdsFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    return {
      CONNECTOR_TIKTOK_ADS_AUTHORIZE_URL: `${this.url}${AUTHORIZE_PATH}`,
      CONNECTOR_TIKTOK_ADS_TOKEN_URL: `${this.url}${TOKEN_PATH}`,
      CONNECTOR_TIKTOK_ADS_REVOKE_URL: `${this.url}${REVOKE_PATH}`,
      CONNECTOR_TIKTOK_ADS_API_URL: `${this.url}${API_BASE}`,
    };
  }

  /** Long-term tokens do not expire; this makes every one answer 40102 as if TikTok had expired it anyway. */
  override expireAccessTokens(): void {
    this.accessTokens.expireAll();
  }

  /** Every token issued so far stops working (the advertiser took the authorization back). */
  override revokeAllGrants(): void {
    this.accessTokens.revokeAll();
  }

  /** The next API request whose path matches answers this envelope code (40016, 40067, 40133, 40102…). */
  failNextWithCode(code: number, pathPattern?: RegExp): void {
    this.codeFaults.push({ code, pattern: pathPattern });
  }

  /** The seeded advertiser with this id. */
  advertiser(id: string): SeedAdvertiser {
    const found = this.advertisers.find((a) => a.advertiser_id === id);
    if (!found) throw new Error(`No seeded advertiser ${id}`);
    return found;
  }

  /** The advertiser's current day in its own time zone: the last day with figures. */
  today(advertiserId: string): string {
    return localDay(this.clock(), this.advertiser(advertiserId).timezone);
  }

  /**
   * The figure the platform reports for one entity (or the whole advertiser) over `start`..`end`, as a number
   * in its natural unit (money in currency units): what a test compares report rows with.
   */
  expectedFigure(query: {
    advertiserId: string;
    metric: string;
    start: string;
    end: string;
    level?: Level;
    id?: string;
  }): number | null {
    const adv = this.advertiser(query.advertiserId);
    const level = query.level ?? 'advertiser';
    const entity = this.entities(adv, level).find((e) => level === 'advertiser' || e.id === query.id);
    if (!entity) throw new Error(`No ${level} ${query.id ?? ''} under ${query.advertiserId}`);
    const figures = this.figures(adv, entity, daysBetween(query.start, query.end));
    const text = this.metricValue(adv, figures, query.metric, entity);
    return text === '-' ? null : Number(text);
  }

  protected route(req: FakeRequest): FakeResponse {
    const key = `${req.method} ${req.path}`;
    if (key === `GET ${AUTHORIZE_PATH}`) return this.authorize(req);
    if (key === `POST ${TOKEN_PATH}`) return this.token(req);
    if (key === `POST ${REVOKE_PATH}`) return this.revoke(req);
    return this.api(req);
  }

  private requestId(): string {
    const stamp = new Date(this.clock()).toISOString().replace(/\D/g, '').slice(0, 14);
    return `${stamp}${randomBytes(10).toString('hex').toUpperCase()}`;
  }

  private envelope(code: number, message: string, data: unknown): FakeResponse {
    return { status: 200, body: { code, message, request_id: this.requestId(), data } };
  }

  private ok(data: unknown): FakeResponse {
    return this.envelope(CODES.ok, 'OK', data);
  }

  private fail(code: number, message: string): FakeResponse {
    return this.envelope(code, message, {});
  }

  // ---- Authorization -------------------------------------------------------------------------

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const appId = q.get('app_id') ?? '';
    const app = this.apps.get(appId);
    if (!app) return htmlPage(400, 'TikTok for Business', '<h1>Invalid app_id</h1>');
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri || !redirectUriAllowed(app, redirectUri)) {
      return htmlPage(400, 'TikTok for Business', `<h1>${escapeHtml('redirect_uri is not registered')}</h1>`);
    }
    const state = q.get('state') ?? undefined;
    const decision = consentDecision(req.url);
    if (this.interactive && !decision) {
      return consentPage('TikTok for Business', appId, ['Ad account management', 'Reporting'], req.url);
    }
    if (this.takeDenial() || decision === 'deny') {
      // [unconfirmed] the page's refusal: the redirect carries an error instead of an auth_code.
      return redirect(withQuery(redirectUri, { error: 'access_denied', state }));
    }
    const code = this.codes.issue(
      { appId, userId: this.user.core_user_id, advertiserIds: [...this.grantedAdvertisers], redirectUri },
      randomBytes(20).toString('hex'),
    );
    this.stats.authorizations++;
    return redirect(withQuery(redirectUri, { auth_code: code, state }));
  }

  private isJson(req: FakeRequest): boolean {
    return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
  }

  /** The app named by a JSON body's app_id and secret, or undefined. */
  private appOf(body: Record<string, unknown>): FakeApp | undefined {
    const app = typeof body.app_id === 'string' ? this.apps.get(body.app_id) : undefined;
    return app && app.clientSecret === body.secret ? app : undefined;
  }

  private token(req: FakeRequest): FakeResponse {
    const body = this.isJson(req) ? req.json() : undefined;
    if (!isRecord(body)) return this.fail(CODES.invalidParameter, 'The request body must be JSON.');
    for (const name of ['app_id', 'secret', 'auth_code']) {
      if (typeof body[name] !== 'string' || !body[name]) {
        return this.fail(CODES.invalidParameter, `${name}: Missing data for required field.`);
      }
    }
    const app = this.appOf(body);
    if (!app) return this.fail(CODES.noPermission, 'App ID or secret is invalid.');
    const code = String(body.auth_code);
    const pending = this.codes.peek(code);
    if (!pending || pending.appId !== app.clientId) {
      return this.fail(CODES.invalidParameter, 'auth_code is invalid or expired.');
    }
    this.codes.spend(code);
    this.stats.codeExchanges++;
    const grant: AdsGrant = {
      appId: pending.appId,
      userId: pending.userId,
      advertiserIds: pending.advertiserIds,
    };
    // Long-term: no expiry, no refresh token.
    const accessToken = this.accessTokens.add(randomToken('', 20).toLowerCase(), grant);
    return this.ok({ access_token: accessToken, advertiser_ids: grant.advertiserIds, scope: GRANTED_SCOPES });
  }

  private revoke(req: FakeRequest): FakeResponse {
    const body = this.isJson(req) ? req.json() : undefined;
    if (!isRecord(body)) return this.fail(CODES.invalidParameter, 'The request body must be JSON.');
    const app = this.appOf(body);
    if (!app) return this.fail(CODES.noPermission, 'App ID or secret is invalid.');
    const token = typeof body.access_token === 'string' ? body.access_token : undefined;
    const found = this.accessTokens.lookup(token);
    if (!token || found.state === 'unknown' || found.grant.appId !== app.clientId) {
      return this.fail(CODES.tokenInvalid, 'Access token is invalid.');
    }
    this.accessTokens.revoke(token);
    this.stats.revocations++;
    return this.ok({});
  }

  // ---- API -----------------------------------------------------------------------------------

  private takeCodeFault(path: string): number | undefined {
    const i = this.codeFaults.findIndex(({ pattern }) => {
      if (!pattern) return true;
      pattern.lastIndex = 0;
      return pattern.test(path);
    });
    return i < 0 ? undefined : this.codeFaults.splice(i, 1)[0].code;
  }

  private api(req: FakeRequest): FakeResponse {
    const route = this.routes[`${req.method} ${req.path}`];
    // Without its trailing slash (or with a wrong method) a path is not found, outside any envelope.
    if (!route) return { status: 404, body: '404 page not found' };
    this.stats.apiCalls++;
    const fault = this.faults.take(req.path);
    if (fault) return this.faultResponse(fault);
    const code = this.takeCodeFault(req.path);
    if (code !== undefined) return this.fail(code, `Fault ${code} queued by the test.`);
    const header = req.headers['access-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) return this.fail(CODES.tokenMissing, 'Access token is empty.');
    const found = this.accessTokens.lookup(token);
    if (found.state === 'expired') return this.fail(CODES.tokenExpired, 'Access token has expired.');
    if (found.state !== 'valid') return this.fail(CODES.tokenInvalid, 'Access token is invalid.');
    const window = this.limits.hit(found.grant.appId, this.rateLimit);
    if (window.exceeded)
      return this.fail(CODES.tooManyRequests, 'Too many requests. Please retry in some time.');
    return route(req, found.grant);
  }

  private faultResponse(fault: FakeFault): FakeResponse {
    switch (fault) {
      case 'rate_limit':
        return this.fail(CODES.tooManyRequests, 'Too many requests. Please retry in some time.');
      case 'server_error':
        return this.fail(CODES.systemError, 'System error. Please retry later.');
      case 'token_expired':
        return this.fail(CODES.tokenExpired, 'Access token has expired.');
    }
  }

  private advertiserGet(req: FakeRequest, grant: AdsGrant): FakeResponse {
    const q = req.url.searchParams;
    const app = this.apps.get(q.get('app_id') ?? '');
    if (!q.get('app_id') || !q.get('secret'))
      return this.fail(CODES.invalidParameter, 'app_id and secret are required.');
    if (!app || app.clientSecret !== q.get('secret') || app.clientId !== grant.appId) {
      return this.fail(CODES.noPermission, 'App ID or secret is invalid.');
    }
    const list = grant.advertiserIds.map((id) => ({
      advertiser_id: id,
      advertiser_name: this.advertiser(id).name,
    }));
    return this.ok({ list });
  }

  private advertiserInfo(req: FakeRequest, grant: AdsGrant): FakeResponse {
    const q = req.url.searchParams;
    const ids = jsonArray(q.get('advertiser_ids'));
    if (!ids || ids.length === 0 || ids.length > MAX_INFO_IDS || !ids.every((i) => typeof i === 'string')) {
      return this.fail(
        CODES.invalidParameter,
        `advertiser_ids must be a JSON array of 1 to ${MAX_INFO_IDS} id strings.`,
      );
    }
    const fields = q.get('fields') === null ? [...INFO_FIELDS] : jsonArray(q.get('fields'));
    if (!fields || !fields.every((f) => typeof f === 'string' && INFO_FIELDS.has(f))) {
      return this.fail(CODES.invalidParameter, 'fields must be a JSON array of advertiser fields.');
    }
    const denied = (ids as string[]).find((id) => !grant.advertiserIds.includes(id));
    if (denied !== undefined)
      return this.fail(CODES.noPermission, `No permission to operate advertiser ${denied}.`);
    const list = (ids as string[]).map((id) => {
      const a = this.advertiser(id);
      const all: Record<string, unknown> = {
        advertiser_id: a.advertiser_id,
        name: a.name,
        currency: a.currency,
        timezone: a.timezone,
        display_timezone: a.display_timezone,
        status: a.status,
        company: 'Supertrack Sandbox Ltd',
        country: a.currency === 'JPY' ? 'JP' : a.currency === 'USD' ? 'US' : 'DE',
      };
      return Object.fromEntries(Object.entries(all).filter(([k]) => (fields as string[]).includes(k)));
    });
    return this.ok({ list });
  }

  // ---- Reports -------------------------------------------------------------------------------

  private report(req: FakeRequest, grant: AdsGrant): FakeResponse {
    const q = req.url.searchParams;
    this.reportLog.push(Object.fromEntries(q.entries()));
    const bad = (message: string) => this.fail(CODES.invalidParameter, message);
    const unknownParam = [...q.keys()].find((k) => !REPORT_PARAMS.has(k));
    if (unknownParam !== undefined) return bad(`${unknownParam}: Unknown field.`);
    const advertiserId = q.get('advertiser_id');
    if (!advertiserId) return bad('advertiser_id: Missing data for required field.');
    if (!grant.advertiserIds.includes(advertiserId)) {
      return this.fail(CODES.noPermission, `No permission to operate advertiser ${advertiserId}.`);
    }
    const adv = this.advertiser(advertiserId);
    if (q.get('report_type') !== 'BASIC') return bad('report_type: only BASIC is served by this fake.');
    const serviceType = q.get('service_type');
    if (serviceType !== null && serviceType !== 'AUCTION') return bad('service_type must be AUCTION.');
    const levelSpec = LEVELS[q.get('data_level') ?? ''];
    if (!levelSpec)
      return bad(
        'data_level: Must be one of AUCTION_ADVERTISER, AUCTION_CAMPAIGN, AUCTION_ADGROUP, AUCTION_AD.',
      );

    const dimensions = jsonArray(q.get('dimensions'));
    if (!dimensions || !dimensions.every((d) => typeof d === 'string')) {
      return bad('dimensions: Must be a JSON array of strings.');
    }
    const daily = dimensions.includes('stat_time_day');
    const others = dimensions.filter((d) => d !== 'stat_time_day');
    if (
      others.length !== 1 ||
      others[0] !== levelSpec.idDimension ||
      new Set(dimensions).size !== dimensions.length
    ) {
      return bad(
        `dimensions: A BASIC report at ${q.get('data_level')} takes ${levelSpec.idDimension}, optionally with stat_time_day.`,
      );
    }
    const metrics = jsonArray(q.get('metrics'));
    if (!metrics || metrics.length === 0 || !metrics.every((m) => typeof m === 'string')) {
      return bad('metrics: Must be a non-empty JSON array of strings.');
    }
    const unsupported = (metrics as string[]).find((m) => !this.metricAllowed(m, levelSpec.level));
    if (unsupported !== undefined)
      return bad(`metrics: Invalid metric ${unsupported} for ${q.get('data_level')}.`);

    const lifetime = q.get('query_lifetime');
    if (lifetime !== null && lifetime !== 'true' && lifetime !== 'false')
      return bad('query_lifetime must be true or false.');
    const today = this.today(advertiserId);
    let days: string[];
    if (lifetime === 'true') {
      if (daily) return bad('stat_time_day cannot be used with query_lifetime.');
      if (q.has('start_date') || q.has('end_date'))
        return bad('start_date and end_date cannot be used with query_lifetime.');
      days = daysBetween(DATA_START, today);
    } else {
      const start = q.get('start_date') ?? '';
      const end = q.get('end_date') ?? '';
      if (!isIsoDay(start) || !isIsoDay(end))
        return bad('start_date and end_date: Must be dates in YYYY-MM-DD.');
      if (start > end) return bad('start_date must not be after end_date.');
      days = daysBetween(start, end);
      const limit = daily ? MAX_DAILY_SPAN_DAYS : MAX_SPAN_DAYS;
      if (days.length > limit) {
        return bad(
          `The time range cannot exceed ${limit} days${daily ? ' when stat_time_day is a dimension' : ''}.`,
        );
      }
    }

    const page = Number(q.get('page') ?? '1');
    const pageSize = Number(q.get('page_size') ?? String(DEFAULT_PAGE_SIZE));
    if (!Number.isInteger(page) || page < 1) return bad('page: Must be an integer of at least 1.');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      return bad(`page_size: Must be between 1 and ${MAX_PAGE_SIZE}.`);
    }
    const orderField = q.get('order_field');
    const orderType = q.get('order_type') ?? 'DESC';
    if (orderType !== 'ASC' && orderType !== 'DESC') return bad('order_type must be ASC or DESC.');
    if (
      orderField !== null &&
      !(ADDITIVE as readonly string[]).includes(orderField) &&
      orderField !== 'reach'
    ) {
      return bad(`order_field: ${orderField} cannot be sorted on.`);
    }

    const entities = this.entities(adv, levelSpec.level);
    const buckets = daily ? days.map((d) => [d]) : [days];
    let rows: Array<{ entity: Entity; day?: string; figures: DayFigures }> = [];
    for (const entity of entities) {
      for (const bucket of buckets) {
        const figures = this.figures(adv, entity, bucket);
        // Nothing delivered, nothing to report: TikTok leaves such rows out.
        if (figures.impressions === 0) continue;
        rows.push({ entity, day: daily ? bucket[0] : undefined, figures });
      }
    }
    if (rows.length > this.maxReportRows) {
      return this.fail(
        CODES.queryTooLarge,
        'The data queried is too large; narrow the time range or the data level.',
      );
    }
    if (orderField !== null) {
      const key = orderField as keyof DayFigures;
      rows = rows
        .map((r, i) => ({ r, i }))
        .sort((a, b) => (orderType === 'ASC' ? 1 : -1) * (a.r.figures[key] - b.r.figures[key]) || a.i - b.i)
        .map(({ r }) => r);
    }
    const totalPage = Math.ceil(rows.length / pageSize);
    const list = rows.slice((page - 1) * pageSize, page * pageSize).map((r) => ({
      dimensions: {
        [levelSpec.idDimension]: r.entity.id,
        ...(r.day !== undefined ? { stat_time_day: `${r.day} 00:00:00` } : {}),
      },
      metrics: Object.fromEntries(
        (metrics as string[]).map((m) => [
          m,
          r.entity.attributes[m] ?? this.metricValue(adv, r.figures, m, r.entity),
        ]),
      ),
    }));
    return this.ok({
      list,
      page_info: { page, page_size: pageSize, total_number: rows.length, total_page: totalPage },
    });
  }

  private metricAllowed(metric: string, level: Level): boolean {
    if (metric in ATTRIBUTES) return LEVEL_ORDER.indexOf(level) >= LEVEL_ORDER.indexOf(ATTRIBUTES[metric]);
    return (ADDITIVE as readonly string[]).includes(metric) || metric === 'reach' || metric in DERIVED;
  }

  /**
   * A metric as TikTok writes it: a string, money with the currency's decimals, "-" where undefined (a ratio
   * without a denominator, conversions of an entity that tracks none).
   */
  private metricValue(adv: SeedAdvertiser, f: DayFigures, metric: string, entity: Entity): string {
    if (CONVERSION_METRICS.has(metric) && !entity.ads.some(({ campaign }) => campaign.conversion_tracking)) {
      return '-';
    }
    const decimals = CURRENCY_DECIMALS[adv.currency] ?? 2;
    if (MONEY.has(metric)) return (f[metric as keyof DayFigures] / 10 ** decimals).toFixed(decimals);
    if (metric in DERIVED) {
      const { of, scale, money } = DERIVED[metric];
      const [num, den] = of(f);
      if (den === 0) return '-';
      const numerator = money ? num / 10 ** decimals : num;
      return ((numerator * scale) / den).toFixed(2);
    }
    return String(f[metric as keyof DayFigures]);
  }

  private entities(adv: SeedAdvertiser, level: Level): Entity[] {
    const adsOf = (campaigns: SeedCampaign[]) =>
      campaigns.flatMap((campaign) =>
        campaign.adgroups.flatMap((g) => g.ads.map((ad) => ({ ad, campaign }))),
      );
    switch (level) {
      case 'advertiser':
        return [{ id: adv.advertiser_id, attributes: {}, ads: adsOf(adv.campaigns) }];
      case 'campaign':
        return adv.campaigns.map((c) => ({
          id: c.campaign_id,
          attributes: { campaign_name: c.campaign_name },
          ads: adsOf([c]),
        }));
      case 'adgroup':
        return adv.campaigns.flatMap((c) =>
          c.adgroups.map((g) => ({
            id: g.adgroup_id,
            attributes: {
              campaign_name: c.campaign_name,
              campaign_id: c.campaign_id,
              adgroup_name: g.adgroup_name,
            },
            ads: g.ads.map((ad) => ({ ad, campaign: c })),
          })),
        );
      case 'ad':
        return adv.campaigns.flatMap((c) =>
          c.adgroups.flatMap((g) =>
            g.ads.map((ad) => ({
              id: ad.ad_id,
              attributes: {
                campaign_name: c.campaign_name,
                campaign_id: c.campaign_id,
                adgroup_name: g.adgroup_name,
                adgroup_id: g.adgroup_id,
                ad_name: ad.ad_name,
              },
              ads: [{ ad, campaign: c }],
            })),
          ),
        );
    }
  }

  private figures(adv: SeedAdvertiser, entity: Entity, days: string[]): DayFigures {
    const today = this.today(adv.advertiser_id);
    return aggregate(entity.ads, days, (ad, campaign, day) => {
      const key = `${ad.ad_id}|${day}|${day > today ? 'future' : 'past'}`;
      let f = this.dayCache.get(key);
      if (!f) {
        f = adDay(ad, campaign, adv.currency, day, today);
        this.dayCache.set(key, f);
      }
      return f;
    });
  }
}
