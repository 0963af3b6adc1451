// A stand-in for Meta: the Facebook Login dialog and token endpoint, debug_token, and the Graph API
// endpoints the Meta, Facebook and Instagram connectors use (identity, Pages, ad accounts, Marketing
// API insights, Page and Instagram insights, Page posts, Instagram publishing), answering in Meta's
// own shapes: {"error":{message,type,code,error_subcode,fbtrace_id}}, throttling as HTTP 400 with
// usage headers, metric values as strings, cursor paging with a full `next` URL.
import { createHmac } from 'node:crypto';
import {
  addDays,
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
  RateWindows,
  redirect,
  redirectUriAllowed,
  seededInt,
  TokenBook,
  withQuery,
} from './http';
import { PersistentPart } from './persistence';
import { PlatformFakeBase } from './base';
import { FakeApp, FakeConnectorType, FakeFault } from './types';

export const META_DEFAULT_VERSION = 'v25.0';

/** Versions the fake serves under graph.facebook.com (Graph upgrades an expired one, so each still answers). */
const GRAPH_VERSIONS = new Set(['v21.0', 'v22.0', 'v23.0', 'v24.0', 'v25.0', 'v26.0', 'v27.0']);
/**
 * Marketing API versions and the day each expires (Marketing API version history; null: not dated yet). Ads
 * calls (ad accounts, insights) under an expired or unknown version answer error #2635.
 */
const MARKETING_VERSIONS: Record<string, string | null> = {
  'v23.0': '2026-06-09',
  'v24.0': '2026-11-10',
  'v25.0': '2027-02-23',
  'v26.0': null,
  'v27.0': null,
};
const LATEST_MARKETING_VERSION = 'v27.0';
/** Paths served by the Marketing API: an ad account and what hangs off it, and a user's ad accounts. */
const ADS_PATH = /^act_[0-9]+(\/|$)|^[^/]+\/adaccounts$/;

const SHORT_LIVED_SECONDS = 3600;
const LONG_LIVED_SECONDS = 5_184_000; // 60 days
const DATA_ACCESS_SECONDS = 90 * 86_400;
const CODE_TTL_SECONDS = 600;
const DAY_MS = 86_400_000;
/** Meta lets an Instagram account publish 50 posts and create 400 containers per rolling 24 h. */
const IG_POSTS_PER_DAY = 50;
const IG_CONTAINERS_PER_DAY = 400;
const DEFAULT_PAGE_LIMIT = 25;
/** The hourly call budget the X-App-Usage percentages are computed against. */
const APP_CALLS_PER_HOUR = 4800;
/** Seeded ad accounts have delivered every day for this many days, up to today. */
const DELIVERY_DAYS = 90;
/** Page and Instagram insights refuse ranges longer than this. */
const MAX_INSIGHTS_RANGE_DAYS = 93;

const KNOWN_SCOPES = new Set([
  'public_profile',
  'email',
  'pages_show_list',
  'pages_read_engagement',
  'pages_read_user_content',
  'pages_manage_posts',
  'pages_manage_metadata',
  'pages_manage_engagement',
  'pages_messaging',
  'read_insights',
  'ads_read',
  'ads_management',
  'business_management',
  'instagram_basic',
  'instagram_content_publish',
  'instagram_manage_insights',
  'instagram_manage_comments',
  'leads_retrieval',
  'catalog_management',
]);

// ---- Seeded data --------------------------------------------------------------------------------

export interface MetaAdSeed {
  id: string;
  name: string;
}
export interface MetaAdsetSeed {
  id: string;
  name: string;
  ads: MetaAdSeed[];
}
export interface MetaCampaignSeed {
  id: string;
  name: string;
  objective: string;
  adsets: MetaAdsetSeed[];
}
export interface MetaAdAccountSeed {
  /** Without the act_ prefix, as the account_id field shows it. */
  accountId: string;
  name: string;
  /** 1 active, 2 disabled. */
  status: number;
  currency: string;
  timezone: string;
  campaigns: MetaCampaignSeed[];
}
export interface MetaPageSeed {
  id: string;
  name: string;
  category: string;
  followers: number;
  igUserId?: string;
}

export function seedCampaigns(
  prefix: string,
  names: Array<[string, string]>,
  adsetsEach: number,
  adsEach: number,
) {
  return names.map(([name, objective], c): MetaCampaignSeed => {
    const campaignId = `${prefix}${String(c + 1).padStart(2, '0')}00`;
    return {
      id: campaignId,
      name,
      objective,
      adsets: Array.from({ length: adsetsEach }, (_, s): MetaAdsetSeed => {
        const adsetId = `${campaignId.slice(0, -2)}${s + 1}0`;
        return {
          id: adsetId,
          name: `${name} - Ad set ${s + 1}`,
          ads: Array.from({ length: adsEach }, (_, a) => ({
            id: `${adsetId.slice(0, -1)}${a + 1}`,
            name: `${name} - Ad ${s + 1}.${a + 1}`,
          })),
        };
      }),
    };
  });
}

export const META_SEED = {
  user: {
    id: '7000000000000001',
    name: 'Avery Sandbox',
    firstName: 'Avery',
    lastName: 'Sandbox',
    email: 'avery.sandbox@example.com',
  },
  pages: [
    {
      id: '100000000000101',
      name: 'Supertrack Sandbox Page',
      category: 'Software',
      followers: 1520,
      igUserId: '17841400000000001',
    },
    { id: '100000000000102', name: 'Supertrack Second Page', category: 'Brand', followers: 310 },
  ] as MetaPageSeed[],
  igUser: {
    id: '17841400000000001',
    username: 'supertrack.sandbox',
    name: 'Supertrack Sandbox',
    followers: 2048,
    follows: 75,
  },
  adAccounts: [
    {
      accountId: '200000000000001',
      name: 'Sandbox Ads (active)',
      status: 1,
      currency: 'USD',
      timezone: 'America/Los_Angeles',
      campaigns: seedCampaigns(
        '1202000000000',
        [
          ['Spring Sale', 'OUTCOME_SALES'],
          ['Brand Awareness', 'OUTCOME_AWARENESS'],
          ['Retargeting', 'OUTCOME_TRAFFIC'],
        ],
        2,
        2,
      ),
    },
    {
      accountId: '200000000000002',
      name: 'Sandbox Ads (disabled)',
      status: 2,
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      campaigns: seedCampaigns('1202000000009', [['Legacy Campaign', 'OUTCOME_TRAFFIC']], 1, 1),
    },
  ] as MetaAdAccountSeed[],
};

// ---- Errors ---------------------------------------------------------------------------------------

interface MetaErrorSpec {
  status?: number;
  message: string;
  code: number;
  subcode?: number;
  type?: string;
  userTitle?: string;
  userMsg?: string;
  isTransient?: boolean;
  headers?: Record<string, string>;
}

function metaError(spec: MetaErrorSpec): FakeResponse {
  const error: Record<string, unknown> = { message: spec.message, type: spec.type ?? 'OAuthException' };
  if (spec.isTransient !== undefined) error.is_transient = spec.isTransient;
  error.code = spec.code;
  if (spec.subcode !== undefined) error.error_subcode = spec.subcode;
  if (spec.userTitle !== undefined) error.error_user_title = spec.userTitle;
  if (spec.userMsg !== undefined) error.error_user_msg = spec.userMsg;
  error.fbtrace_id = randomToken('A', 16);
  // Permission errors come back as 403, everything else Meta reports (throttling included) as 400.
  const status = spec.status ?? (spec.code === 10 || spec.code === 200 ? 403 : 400);
  return { status, headers: spec.headers, body: { error } };
}

const DOCS_URL = 'https://developers.facebook.com/docs/graph-api';

const E = {
  tokenRequired: () =>
    metaError({ message: 'An access token is required to request this resource.', code: 104 }),
  tokenUnparsable: () =>
    tokenError('Invalid OAuth access token - Cannot parse access token', undefined, 'invalid_token'),
  tokenExpired: (now: number) =>
    tokenError(
      `Error validating access token: Session has expired on ${fbTime(now - 1000)}. The current time is ${fbTime(now)}.`,
      463,
      'invalid_token',
    ),
  tokenInvalidated: () =>
    tokenError(
      'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
      460,
      'invalid_token',
    ),
  appNotAuthorized: (appId: string) =>
    tokenError(
      `Error validating access token: The user has not authorized application ${appId}.`,
      458,
      'invalid_token',
    ),
  pageTokenRequired: () =>
    metaError({ message: '(#190) This method must be called with a Page Access Token', code: 190 }),
  activeTokenRequired: () =>
    metaError({
      message: 'An active access token must be used to query information about the current user.',
      code: 2500,
    }),
  unknownPath: (rest: string) => metaError({ message: `Unknown path components: /${rest}`, code: 2500 }),
  deprecatedAdsVersion: () =>
    metaError({
      message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${LATEST_MARKETING_VERSION}.`,
      code: 2635,
    }),
  unsupported: (method: string, id: string) =>
    metaError({
      message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at ${DOCS_URL}`,
      code: 100,
      subcode: 33,
      type: 'GraphMethodException',
    }),
  nonexistingField: (field: string, nodeType: string) =>
    metaError({
      message: `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
      code: 100,
    }),
  invalidParam: (message: string) => metaError({ message: `(#100) ${message}`, code: 100 }),
  reduceData: () =>
    metaError({
      message: "Please reduce the amount of data you're asking for, then retry your request",
      code: 1,
      type: 'OAuthException',
      isTransient: false,
    }),
  noPermission: () =>
    metaError({ message: '(#10) Application does not have permission for this action', code: 10 }),
  adsPermission: () =>
    metaError({
      message: '(#200) Ad account owner has NOT grant ads_management or ads_read permission',
      code: 200,
    }),
  pagePostPermission: () =>
    metaError({
      message:
        '(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission',
      code: 200,
    }),
  badAppsecretProof: () =>
    metaError({
      message: 'Invalid appsecret_proof provided in the API argument',
      code: 100,
      type: 'GraphMethodException',
    }),
  // OAuth endpoint errors.
  missingParam: (name: string) => metaError({ message: `Missing ${name} parameter.`, code: 100 }),
  badAppId: () => metaError({ message: 'Error validating application. Invalid application ID.', code: 101 }),
  badSecret: () => metaError({ message: 'Error validating client secret.', code: 1 }),
  badCode: () => metaError({ message: 'Invalid verification code format.', code: 100 }),
  usedCode: () => metaError({ message: 'This authorization code has been used.', code: 100, subcode: 36009 }),
  expiredCode: () =>
    metaError({ message: 'This authorization code has expired.', code: 100, subcode: 36007 }),
  redirectMismatch: () =>
    metaError({
      message:
        'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
      code: 100,
      subcode: 36008,
    }),
  badVerifier: () => metaError({ message: 'Invalid code verifier.', code: 100 }),
  badGrantType: (grantType: string) =>
    metaError({ message: `Unsupported grant_type: ${grantType}`, code: 100 }),
  badAppToken: () => metaError({ message: 'Invalid OAuth access token signature.', code: 190 }),
};

function tokenError(message: string, subcode: number | undefined, wwwError: string): FakeResponse {
  return metaError({
    message,
    code: 190,
    subcode,
    headers: {
      'www-authenticate': `OAuth "Facebook Platform" "${wwwError}" "${message.replace(/"/g, "'")}"`,
    },
  });
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Meta's "Thursday, 01-Jan-26 12:00:00 PST" style, in UTC. */
function fbTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${WEEKDAYS[d.getUTCDay()]}, ${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC`;
}

/** Meta's timestamp format: 2026-01-02T03:04:05+0000. */
function fbTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

// ---- State types ---------------------------------------------------------------------------------

interface CodeGrant {
  appId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  challenge?: { value: string; method: string };
}

interface AccessGrant {
  kind: 'user' | 'page';
  appId: string;
  userId: string;
  scopes: string[];
  /** Epoch seconds. */
  issuedAt: number;
  longLived: boolean;
  pageId?: string;
}

/** Who is calling: an app token (no grant) or a user / Page token. */
interface Caller {
  token: string;
  appId: string;
  grant?: AccessGrant;
}

export interface MetaPost {
  id: string;
  kind: 'page_post' | 'instagram_media';
  /** The Page or Instagram account it was published on. */
  targetId: string;
  appId: string;
  message?: string;
  link?: string;
  mediaType?: string;
  mediaUrl?: string;
  isVideo?: boolean;
  /** Epoch ms. */
  createdAt: number;
}

interface IgContainer {
  id: string;
  igUserId: string;
  appId: string;
  mediaType: string;
  mediaUrl: string;
  isVideo: boolean;
  caption?: string;
  createdAt: number;
  /** When a video finishes processing (the fake's clock); images are ready at once. */
  readyAt: number;
  /** Processing failed: the container reports ERROR. */
  failed?: boolean;
  publishedId?: string;
}

type NodeType =
  | 'User'
  | 'Page'
  | 'IGUser'
  | 'AdAccount'
  | 'IGContainer'
  | 'PagePost'
  | 'IGMedia'
  | 'AdReportRun';

type Selection = { fields: Record<string, unknown> } | { error: FakeResponse };

/** Status reads a job takes to finish (its clock moves on each read, never with wall-clock time). */
const JOB_STEPS = 2;

interface InsightsJob {
  id: string;
  account: MetaAdAccountSeed;
  query: InsightsQuery;
  steps: number;
  fail: boolean;
  rows?: Array<Record<string, unknown>>;
}

interface NodeView {
  type: NodeType;
  id: string;
  /** Every field the node type has; undefined values are known fields this object lacks. */
  fields: Record<string, unknown>;
  /** Fields that point at other nodes, by the linked node's id. */
  links: Record<string, string | undefined>;
  defaults: string[];
}

export interface MetaFakeOptions {
  interactiveConsent?: boolean;
  /** Delay before every answer, in ms (benchmarks). */
  latencyMs?: number;
  port?: number;
  /** Graph API version segment, e.g. v25.0. */
  version?: string;
  clock?: Clock;
  /** Ad accounts besides the seeded ones (the reports benchmark's 50-campaign account). */
  extraAdAccounts?: MetaAdAccountSeed[];
  /** Days before today that seeded ads have delivered (90 unless given). */
  deliveryDays?: number;
  /** How long a video (Reel) container takes to process, in the fake's time; 180 s unless given. */
  videoProcessingSeconds?: number;
}

// ---- The fake -------------------------------------------------------------------------------------

export class MetaFake extends PlatformFakeBase {
  readonly types: readonly FakeConnectorType[] = ['meta', 'facebook', 'instagram'];
  readonly seed = META_SEED;
  readonly version: string;
  /** Page posts and Instagram media published through the fake, oldest first. */
  readonly posts: MetaPost[] = [];

  private readonly codes: CodeBook<CodeGrant>;
  /** Every code ever issued with its expiry, so a dead code can be told apart as used or expired. */
  private readonly issuedCodes = new Map<string, number>();
  private readonly spentCodes = new Set<string>();
  private readonly tokens: TokenBook<AccessGrant>;
  private readonly appTokens = new Map<string, string>(); // app token -> app id
  /** "appId|userId" pairs the user removed the app from (DELETE /me/permissions). */
  private readonly deauthorized = new Set<string>();
  private readonly containers = new Map<string, IgContainer>();
  private readonly usage: RateWindows;
  private readonly videoProcessingMs: number;
  /** Facebook Login for Business configurations per app id: configuration id → the permissions it grants. */
  private readonly loginConfigurations = new Map<string, Map<string, string[]>>();
  private failNextVideoProcessing = false;
  /** Answers queued for the next authenticated Graph calls, in order (blocks, ad-account throttling). */
  private readonly refusals: Array<() => FakeResponse> = [];
  private nextId = 1;
  /** Asynchronous insights jobs (report_run_id → job); each status read moves a job's clock one step. */
  private readonly jobs = new Map<string, InsightsJob>();
  private readonly adAccountSeeds: MetaAdAccountSeed[];
  private readonly deliveryDays: number;
  private jobsToFail = 0;
  /** Insights jobs started and status reads answered, for tests. */
  readonly jobStats = { started: 0, statusReads: 0, failed: 0 };

  private constructor(options: MetaFakeOptions) {
    super(options);
    this.version = options.version ?? META_DEFAULT_VERSION;
    this.adAccountSeeds = [...META_SEED.adAccounts, ...(options.extraAdAccounts ?? [])];
    this.deliveryDays = options.deliveryDays ?? DELIVERY_DAYS;
    this.videoProcessingMs = (options.videoProcessingSeconds ?? 180) * 1000;
    this.codes = new CodeBook(CODE_TTL_SECONDS, this.clock);
    this.tokens = new TokenBook(this.clock);
    this.usage = new RateWindows(3600, this.clock);
  }

  protected override persistentParts(): Record<string, PersistentPart> {
    return { tokens: this.tokens, appTokens: this.appTokens, deauthorized: this.deauthorized };
  }

  static async start(options: MetaFakeOptions = {}): Promise<MetaFake> {
    return new MetaFake(options).listen(options.port);
  }

  env(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const type of ['META', 'FACEBOOK', 'INSTAGRAM']) {
      out[`CONNECTOR_${type}_AUTHORIZE_URL`] = `${this.url}/${this.version}/dialog/oauth`;
      out[`CONNECTOR_${type}_TOKEN_URL`] = `${this.url}/${this.version}/oauth/access_token`;
      out[`CONNECTOR_${type}_API_URL`] = `${this.url}/${this.version}`;
    }
    return out;
  }

  expireAccessTokens(): void {
    this.tokens.expireAll();
  }

  revokeAllGrants(): void {
    this.tokens.revokeAll();
  }

  /** The user removes the app in their Facebook settings: its tokens then answer code 190, subcode 458. */
  userRemovesApp(appId: string, userId: string = META_SEED.user.id): void {
    this.tokens.revokeWhere((g) => g.appId === appId && g.userId === userId);
    this.deauthorized.add(`${appId}|${userId}`);
  }

  /**
   * Makes an app a Facebook Login for Business app with a login configuration: its dialog then takes
   * config_id (the configuration's permissions are granted) and refuses a bare scope list.
   */
  addLoginConfiguration(appId: string, configId: string, scopes: string[]): void {
    const configs = this.loginConfigurations.get(appId) ?? new Map<string, string[]>();
    configs.set(configId, scopes);
    this.loginConfigurations.set(appId, configs);
  }

  /** Every video container still processing finishes now (instead of the test waiting minutes). */
  finishVideos(): void {
    for (const c of this.containers.values()) if (c.readyAt > this.clock()) c.readyAt = this.clock();
  }

  /** The next video container fails processing: its status_code becomes ERROR. */
  failNextVideo(): void {
    this.failNextVideoProcessing = true;
  }

  /** Video containers created so far (each counts toward the 400-per-day container limit). */
  get videoContainers(): number {
    return [...this.containers.values()].filter((c) => c.isVideo).length;
  }

  /** The next call answers error 368: Meta has temporarily blocked the user from this action. */
  blockNext(): void {
    this.refusals.push(() =>
      metaError({
        message: '(#368) The action attempted has been deemed abusive or is otherwise disallowed',
        code: 368,
        subcode: 1390008,
        userTitle: "You're Temporarily Blocked",
        userMsg:
          "It looks like you were misusing this feature by going too fast. You've been temporarily blocked from using it.",
      }),
    );
  }

  /**
   * The next call on an ad account is throttled at the ad-account level (code 17, subcode 2446079) with
   * X-Ad-Account-Usage saying how long until the account's budget resets.
   */
  throttleAdAccountNext(resetSeconds: number): void {
    this.refusals.push(() =>
      metaError({
        message: '(#17) User request limit reached',
        code: 17,
        subcode: 2446079,
        headers: {
          'x-ad-account-usage': JSON.stringify({
            acc_id_util_pct: 100,
            reset_time_duration: resetSeconds,
            ads_api_access_tier: 'standard_access',
          }),
          'x-app-usage': JSON.stringify({ call_count: 12, total_cputime: 6, total_time: 6 }),
        },
      }),
    );
  }

  // ---- Dispatch ----

  protected async route(req: FakeRequest): Promise<FakeResponse> {
    const [, version = '', ...path] = req.path.split('/');
    if (!GRAPH_VERSIONS.has(version)) return E.unknownPath(req.path.replace(/^\/+/, ''));
    const rest = path.join('/').replace(/\/+$/, '');
    if (ADS_PATH.test(rest) && !this.marketingVersionServed(version)) return E.deprecatedAdsVersion();
    if (rest === 'dialog/oauth') return this.authorize(req);
    if (rest === 'oauth/access_token') return this.tokenEndpoint(requestParams(req));
    if (rest === 'debug_token') return this.debugToken(req, requestParams(req));
    return this.api(req, rest);
  }

  /** Whether the Marketing API still serves a version at the fake's time. */
  private marketingVersionServed(version: string): boolean {
    if (!(version in MARKETING_VERSIONS)) return false;
    const expires = MARKETING_VERSIONS[version];
    return expires === null || this.clock() < Date.parse(`${expires}T00:00:00Z`);
  }

  // ---- Login dialog ----

  private authorize(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const app = this.apps.get(q.get('client_id') ?? '');
    if (!app) {
      return htmlPage(400, 'Invalid App ID', '<p>The provided app ID does not look like a valid app ID.</p>');
    }
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri || !isAbsoluteUrl(redirectUri) || !redirectUriAllowed(app, redirectUri)) {
      return htmlPage(
        400,
        'URL Blocked',
        "<p>This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.</p>",
      );
    }
    const responseType = q.get('response_type') ?? 'code';
    if (responseType !== 'code') {
      return htmlPage(400, 'Error', `<p>Unsupported response_type: ${escapeHtml(responseType)}</p>`);
    }
    const loginConfigs = this.loginConfigurations.get(app.clientId);
    const configId = q.get('config_id');
    if (configId !== null && !loginConfigs?.has(configId)) {
      return htmlPage(400, 'Invalid Configuration', '<p>The configuration ID is not valid for this app.</p>');
    }
    // A Facebook Login for Business app logs people in through a configuration [whether Meta refuses a scope-only
    // dialog for such an app is unconfirmed; the fake does, to be at least as strict].
    if (configId === null && loginConfigs) {
      return htmlPage(
        400,
        'Feature Unavailable',
        '<p>Facebook Login for Business apps must use a configuration: pass config_id.</p>',
      );
    }
    const scopes = configId !== null ? [...(loginConfigs?.get(configId) ?? [])] : splitScopes(q.get('scope'));
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.has(s));
    if (unknown.length > 0) {
      return htmlPage(400, 'Invalid Scopes', `<p>Invalid Scopes: ${escapeHtml(unknown.join(', '))}.</p>`);
    }
    const state = q.get('state') ?? undefined;
    if (this.takeDenial()) {
      return this.denied(redirectUri, state);
    }
    if (this.interactive) {
      const decision = consentDecision(req.url);
      if (decision === undefined) return consentPage('Facebook', app.clientId, scopes, req.url);
      if (decision === 'deny') return this.denied(redirectUri, state);
    }
    const challenge = q.get('code_challenge');
    const grant: CodeGrant = {
      appId: app.clientId,
      redirectUri,
      scopes: withPublicProfile(scopes),
      userId: META_SEED.user.id,
      challenge: challenge
        ? { value: challenge, method: q.get('code_challenge_method') ?? 'plain' }
        : undefined,
    };
    const code = this.codes.issue(grant, randomToken('AQ', 48));
    this.issuedCodes.set(code, this.clock() + CODE_TTL_SECONDS * 1000);
    this.stats.authorizations += 1;
    // Facebook appends "#_=_" to the redirect; clients must not trip over the fragment.
    return redirect(`${withQuery(redirectUri, { code, state })}#_=_`);
  }

  private denied(redirectUri: string, state: string | undefined): FakeResponse {
    const location = withQuery(redirectUri, {
      error: 'access_denied',
      error_code: '200',
      error_description: 'Permissions error',
      error_reason: 'user_denied',
      state,
    });
    return redirect(`${location}#_=_`);
  }

  // ---- Token endpoint ----

  private tokenEndpoint(params: URLSearchParams): FakeResponse {
    const clientId = params.get('client_id');
    if (!clientId) return E.missingParam('client_id');
    const app = this.apps.get(clientId);
    if (!app) return E.badAppId();
    const secret = params.get('client_secret');
    if (!secret) return E.missingParam('client_secret');
    if (secret !== app.clientSecret) return E.badSecret();
    const grantType = params.get('grant_type') ?? 'authorization_code';
    if (grantType === 'authorization_code') return this.exchangeCode(app, params);
    if (grantType === 'fb_exchange_token') return this.exchangeForLongLived(app, params);
    if (grantType === 'client_credentials') {
      const token = `${app.clientId}|${randomToken('', 20)}`;
      this.appTokens.set(token, app.clientId);
      return { status: 200, body: { access_token: token, token_type: 'bearer' } };
    }
    return E.badGrantType(grantType);
  }

  private exchangeCode(app: FakeApp, params: URLSearchParams): FakeResponse {
    const redirectUri = params.get('redirect_uri');
    if (redirectUri === null) return E.missingParam('redirect_uri');
    const code = params.get('code');
    if (!code) return E.missingParam('code');
    const grant = this.codes.peek(code);
    if (!grant) {
      if (this.spentCodes.has(code)) return E.usedCode();
      if (this.issuedCodes.has(code)) return E.expiredCode();
      return E.badCode();
    }
    if (grant.appId !== app.clientId) return E.badCode();
    if (grant.redirectUri !== redirectUri) return E.redirectMismatch();
    if (grant.challenge) {
      const verifier = params.get('code_verifier');
      if (!verifier || !pkceMatches(grant.challenge.value, grant.challenge.method, verifier))
        return E.badVerifier();
    }
    this.codes.spend(code);
    this.spentCodes.add(code);
    this.deauthorized.delete(`${grant.appId}|${grant.userId}`);
    this.stats.codeExchanges += 1;
    const token = this.issueUserToken(grant.appId, grant.userId, grant.scopes, false);
    return {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: SHORT_LIVED_SECONDS },
    };
  }

  private exchangeForLongLived(app: FakeApp, params: URLSearchParams): FakeResponse {
    const input = params.get('fb_exchange_token');
    if (!input) return E.missingParam('fb_exchange_token');
    const lookup = this.tokens.lookup(input);
    if (lookup.state !== 'valid') return this.lookupError(lookup);
    const grant = lookup.grant;
    if (grant.kind !== 'user' || grant.appId !== app.clientId) return E.tokenUnparsable();
    this.stats.refreshes += 1;
    if (grant.longLived) {
      // Meta documents no way to extend a long-lived token: the person must log in again. Exchanging one
      // gives it back with the expiry it already had.
      return {
        status: 200,
        body: { access_token: input, token_type: 'bearer', expires_in: this.tokens.secondsLeft(input) },
      };
    }
    const token = this.issueUserToken(grant.appId, grant.userId, grant.scopes, true);
    return {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: LONG_LIVED_SECONDS },
    };
  }

  private issueUserToken(appId: string, userId: string, scopes: string[], longLived: boolean): string {
    const token = randomToken('EAA', 60);
    const lifetime = longLived ? LONG_LIVED_SECONDS : SHORT_LIVED_SECONDS;
    const grant: AccessGrant = {
      kind: 'user',
      appId,
      userId,
      scopes,
      issuedAt: this.nowSeconds(),
      longLived,
    };
    this.tokens.add(token, grant, this.clock() + lifetime * 1000);
    return token;
  }

  /** Page tokens taken with a long-lived user token never expire; otherwise they die with the user token. */
  private issuePageToken(caller: Caller, pageId: string): string {
    const user = caller.grant;
    if (!user) throw new Error('a Page token needs a user grant');
    const token = randomToken('EAA', 60);
    const grant: AccessGrant = { ...user, kind: 'page', pageId, issuedAt: this.nowSeconds() };
    const left = this.tokens.secondsLeft(caller.token);
    this.tokens.add(
      token,
      grant,
      user.longLived || left === undefined ? undefined : this.clock() + left * 1000,
    );
    return token;
  }

  private lookupError(lookup: { state: string; grant?: AccessGrant }): FakeResponse {
    if (lookup.state === 'expired') return E.tokenExpired(this.clock());
    if (lookup.state === 'revoked' && lookup.grant) {
      const key = `${lookup.grant.appId}|${lookup.grant.userId}`;
      return this.deauthorized.has(key) ? E.appNotAuthorized(lookup.grant.appId) : E.tokenInvalidated();
    }
    return E.tokenUnparsable();
  }

  // ---- debug_token ----

  private debugToken(req: FakeRequest, params: URLSearchParams): FakeResponse {
    // The app token in the query, or in the Authorization header as every Graph call accepts.
    const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const inspector = params.get('access_token') ?? bearer ?? '';
    const appId = this.appIdOfAppToken(inspector);
    if (!appId) return E.badAppToken();
    const input = params.get('input_token');
    if (!input) return E.invalidParam('The parameter input_token is required');
    const lookup = this.tokens.lookup(input);
    if (lookup.state === 'unknown') {
      return {
        status: 200,
        body: {
          data: { error: { code: 190, message: 'Invalid OAuth access token.' }, is_valid: false, scopes: [] },
        },
      };
    }
    const grant = lookup.grant;
    const left = this.tokens.secondsLeft(input);
    const data: Record<string, unknown> = {
      app_id: grant.appId,
      type: grant.kind === 'user' ? 'USER' : 'PAGE',
      application: `App ${grant.appId}`,
      data_access_expires_at: grant.issuedAt + DATA_ACCESS_SECONDS,
      expires_at: left === undefined ? 0 : this.nowSeconds() + left,
      is_valid: lookup.state === 'valid',
      issued_at: grant.issuedAt,
    };
    if (grant.pageId) data.profile_id = grant.pageId;
    data.scopes = grant.scopes;
    data.user_id = grant.userId;
    if (lookup.state !== 'valid') {
      const err = this.lookupError(lookup).body;
      const inner = isRecord(err) && isRecord(err.error) ? err.error : {};
      data.error = { code: 190, message: inner.message, subcode: inner.error_subcode };
    }
    return { status: 200, body: { data } };
  }

  /** An app token is one the token endpoint issued, or "APP_ID|APP_SECRET" itself. */
  private appIdOfAppToken(token: string): string | undefined {
    const issued = this.appTokens.get(token);
    if (issued) return issued;
    const [id, secret, ...more] = token.split('|');
    const app = this.apps.get(id);
    return app && more.length === 0 && secret === app.clientSecret ? id : undefined;
  }

  // ---- Graph API ----

  private async api(req: FakeRequest, rest: string): Promise<FakeResponse> {
    this.stats.apiCalls += 1;
    const fault = this.faults.take(req.path);
    if (fault) return this.faultResponse(fault, rest);
    const params = requestParams(req);
    const caller = this.authenticate(req, params);
    if ('status' in caller) return caller;
    const refusal = this.refusals.shift();
    if (refusal) return refusal();
    const answer = this.routeGraph(req.method, rest, params, caller);
    return { ...answer, headers: { ...this.usageHeaders(caller.appId, rest), ...(answer.headers ?? {}) } };
  }

  private authenticate(req: FakeRequest, params: URLSearchParams): Caller | FakeResponse {
    const token = params.get('access_token') ?? req.bearer();
    if (!token) return E.tokenRequired();
    let caller: Caller;
    const appId = this.appIdOfAppToken(token);
    if (appId) {
      caller = { token, appId };
    } else {
      const lookup = this.tokens.lookup(token);
      if (lookup.state !== 'valid') return this.lookupError(lookup);
      caller = { token, appId: lookup.grant.appId, grant: lookup.grant };
    }
    const proof = params.get('appsecret_proof');
    if (proof !== null) {
      const secret = this.apps.get(caller.appId)?.clientSecret ?? '';
      if (createHmac('sha256', secret).update(token).digest('hex') !== proof) return E.badAppsecretProof();
    }
    return caller;
  }

  private routeGraph(method: string, rest: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const [head, edge, ...more] = rest.split('/');
    const grant = caller.grant;
    if (head === 'me' && !grant) return E.activeTokenRequired();
    const id = head === 'me' && grant ? (grant.kind === 'page' ? (grant.pageId ?? '') : grant.userId) : head;
    const node = this.node(id, caller);
    if (!node) return E.unsupported(method, id);
    if (more.length > 0) return E.unknownPath(rest);
    const key = `${node.type} ${method} ${edge ?? ''}`;
    switch (key) {
      case 'User GET ':
      case 'Page GET ':
      case 'IGUser GET ':
      case 'AdAccount GET ':
      case 'IGContainer GET ':
      case 'PagePost GET ':
      case 'IGMedia GET ':
        return this.readNode(node, params, caller);
      case 'User GET accounts':
        return this.listPages(params, caller);
      case 'User GET adaccounts':
        return this.listAdAccounts(params, caller);
      case 'User GET permissions':
        return ok({ data: (grant?.scopes ?? []).map((permission) => ({ permission, status: 'granted' })) });
      case 'User DELETE permissions':
        return this.deauthorize(caller);
      case 'AdAccount GET insights':
        return this.adsInsights(node.id, params, caller);
      case 'AdAccount POST insights':
        return this.startInsightsJob(node.id, params, caller);
      case 'AdReportRun GET ':
        return this.insightsJobStatus(node.id);
      case 'AdReportRun GET insights':
        return this.insightsJobRows(node.id, params, caller);
      case 'Page GET insights':
        return this.pageInsights(node.id, params, caller);
      case 'IGUser GET insights':
        return this.igInsights(node.id, params, caller);
      case 'Page POST feed':
        return this.postToPage(node.id, params, caller);
      case 'IGUser POST media':
        return this.createContainer(node.id, params, caller);
      case 'IGUser POST media_publish':
        return this.publishContainer(node.id, params, caller);
      case 'IGUser GET content_publishing_limit':
        return ok({
          data: [
            {
              quota_usage: this.igPostsInLastDay(node.id),
              config: { quota_total: IG_POSTS_PER_DAY, quota_duration: 86400 },
            },
          ],
        });
      default:
        if (!edge) return E.unsupported(method, id);
        return method === 'GET' ? E.nonexistingField(edge, node.type) : E.unknownPath(edge);
    }
  }

  // ---- Nodes ----

  /** The node with that id as this caller may see it; undefined when it does not exist for them. */
  private node(id: string, caller: Caller): NodeView | undefined {
    const grant = caller.grant;
    if (!grant) return undefined;
    const view = this.nodeView(id);
    if (!view) return undefined;
    if (grant.kind === 'user') return view;
    // A Page token sees its Page and what hangs off that Page.
    const page = META_SEED.pages.find((p) => p.id === grant.pageId);
    const own = new Set([page?.id, page?.igUserId]);
    const post = this.posts.find((p) => p.id === id);
    const container = this.containers.get(id);
    const visible =
      own.has(view.id) || (post && own.has(post.targetId)) || (container && own.has(container.igUserId));
    return visible ? view : undefined;
  }

  private nodeView(id: string): NodeView | undefined {
    const seed = META_SEED;
    if (id === seed.user.id) {
      return {
        type: 'User',
        id,
        fields: {
          id,
          name: seed.user.name,
          first_name: seed.user.firstName,
          last_name: seed.user.lastName,
          email: seed.user.email,
        },
        links: {},
        defaults: ['name', 'id'],
      };
    }
    const page = seed.pages.find((p) => p.id === id);
    if (page) {
      return {
        type: 'Page',
        id,
        fields: {
          id,
          name: page.name,
          category: page.category,
          category_list: [{ id: '2211', name: page.category }],
          followers_count: page.followers,
          fan_count: page.followers,
          link: `https://www.facebook.com/${id}`,
          access_token: undefined,
        },
        links: { instagram_business_account: page.igUserId },
        defaults: ['name', 'id'],
      };
    }
    if (id === seed.igUser.id) {
      const media = this.posts.filter((p) => p.targetId === id).length;
      return {
        type: 'IGUser',
        id,
        fields: {
          id,
          username: seed.igUser.username,
          name: seed.igUser.name,
          followers_count: seed.igUser.followers,
          follows_count: seed.igUser.follows,
          media_count: media,
          biography: 'Sandbox account for Supertrack tests',
          website: 'https://example.com',
          profile_picture_url: `https://example.com/${id}.jpg`,
        },
        links: {},
        defaults: ['id'],
      };
    }
    const account = this.adAccountSeeds.find((a) => `act_${a.accountId}` === id);
    if (account) {
      return {
        type: 'AdAccount',
        id,
        fields: {
          id,
          account_id: account.accountId,
          name: account.name,
          account_status: account.status,
          currency: account.currency,
          timezone_name: account.timezone,
          amount_spent: '0',
          disable_reason: account.status === 1 ? 0 : 1,
        },
        links: {},
        defaults: ['account_id', 'id'],
      };
    }
    const job = this.jobs.get(id);
    if (job) return { type: 'AdReportRun', id, fields: { id }, links: {}, defaults: ['id'] };
    return this.publishedNodeView(id);
  }

  private publishedNodeView(id: string): NodeView | undefined {
    const container = this.containers.get(id);
    if (container) {
      const statusCode = this.containerStatus(container);
      return {
        type: 'IGContainer',
        id,
        fields: { id, status_code: statusCode, status: containerStatusText(statusCode) },
        links: {},
        defaults: ['id'],
      };
    }
    const post = this.posts.find((p) => p.id === id);
    if (!post) return undefined;
    if (post.kind === 'page_post') {
      return {
        type: 'PagePost',
        id,
        fields: {
          id,
          message: post.message,
          link: post.link,
          created_time: fbTimestamp(post.createdAt),
          permalink_url: `https://www.facebook.com/${post.targetId}/posts/${id.split('_')[1]}`,
        },
        links: {},
        defaults: ['created_time', 'message', 'id'],
      };
    }
    return {
      type: 'IGMedia',
      id,
      fields: {
        id,
        caption: post.message,
        media_type: post.isVideo ? 'VIDEO' : 'IMAGE',
        media_product_type:
          post.mediaType === 'REELS' ? 'REELS' : post.mediaType === 'STORIES' ? 'STORY' : 'FEED',
        media_url: post.mediaUrl,
        permalink: `https://www.instagram.com/p/${id}/`,
        timestamp: fbTimestamp(post.createdAt),
        username: META_SEED.igUser.username,
      },
      links: {},
      defaults: ['id'],
    };
  }

  private readNode(node: NodeView, params: URLSearchParams, caller: Caller): FakeResponse {
    const fields = params.get('fields');
    const wanted = fields ? parseFields(fields).map((f) => f.name) : [];
    // A user who manages the Page may read its Page token as a field.
    if (node.type === 'Page' && caller.grant?.kind === 'user' && wanted.includes('access_token')) {
      node.fields.access_token = this.issuePageToken(caller, node.id);
    }
    if (node.type === 'User' && !caller.grant?.scopes.includes('email')) node.fields.email = undefined;
    const selected = this.select(node, fields, caller);
    return 'error' in selected ? selected.error : ok(selected.fields);
  }

  /** The fields a `fields` parameter asks for, nested ones such as instagram_business_account{id,username} included. */
  private select(node: NodeView, fieldsParam: string | null, caller: Caller): Selection {
    const wanted = fieldsParam
      ? parseFields(fieldsParam)
      : node.defaults.map((name) => ({ name, sub: undefined }));
    const out: Record<string, unknown> = {};
    for (const { name, sub } of wanted) {
      if (name in node.links) {
        const target = node.links[name];
        const linked = target === undefined ? undefined : this.node(target, caller);
        if (!linked) continue;
        if (sub === undefined) {
          out[name] = { id: linked.id };
          continue;
        }
        const inner = this.select(linked, sub, caller);
        if ('error' in inner) return inner;
        out[name] = inner.fields;
      } else if (name in node.fields) {
        if (node.fields[name] !== undefined) out[name] = node.fields[name];
      } else {
        return { error: E.nonexistingField(name, node.type) };
      }
    }
    if (!('id' in out)) out.id = node.id;
    return { fields: out };
  }

  private listPages(params: URLSearchParams, caller: Caller): FakeResponse {
    const grant = caller.grant;
    // Without pages_show_list the person granted no Pages, so the list is empty rather than an error.
    const pages = grant?.scopes.includes('pages_show_list') ? META_SEED.pages : [];
    const rows = pages.map((p) => ({
      access_token: this.issuePageToken(caller, p.id),
      category: p.category,
      category_list: [{ id: '2211', name: p.category }],
      name: p.name,
      id: p.id,
      tasks: ['ADVERTISE', 'ANALYZE', 'CREATE_CONTENT', 'MESSAGING', 'MODERATE', 'MANAGE'],
      // Field selection applies to each node of an edge, nested selections included, as on the Graph API.
      ...(p.igUserId && grant?.scopes.includes('instagram_basic')
        ? { instagram_business_account: { id: p.igUserId, username: META_SEED.igUser.username } }
        : {}),
    }));
    const fields = params.get('fields');
    const selected = fields
      ? rows.map((r) =>
          pick(
            r,
            parseFields(fields).map((f) => f.name),
          ),
        )
      : rows;
    return this.paged(selected, params, caller, `me/accounts`);
  }

  private listAdAccounts(params: URLSearchParams, caller: Caller): FakeResponse {
    const scopes = caller.grant?.scopes ?? [];
    const accounts =
      scopes.includes('ads_read') || scopes.includes('ads_management') ? this.adAccountSeeds : [];
    const rows: Array<Record<string, unknown>> = [];
    for (const account of accounts) {
      const view = this.nodeView(`act_${account.accountId}`);
      if (!view) continue;
      const row = this.select(view, params.get('fields'), caller);
      if ('error' in row) return row.error;
      rows.push(row.fields);
    }
    return this.paged(rows, params, caller, 'me/adaccounts');
  }

  private deauthorize(caller: Caller): FakeResponse {
    const grant = caller.grant;
    if (!grant) return E.activeTokenRequired();
    this.tokens.revokeWhere((g) => g.appId === grant.appId && g.userId === grant.userId);
    this.deauthorized.add(`${grant.appId}|${grant.userId}`);
    this.stats.revocations += 1;
    return ok({ success: true });
  }

  /** Cursor paging as Graph edges do it: limit, after/before, cursors of the first and last row, full next/previous URLs. */
  private paged(rows: unknown[], params: URLSearchParams, caller: Caller, path: string): FakeResponse {
    const limit = positiveInt(params.get('limit')) ?? DEFAULT_PAGE_LIMIT;
    const start = this.pageStart(params);
    if (start === undefined) return E.invalidParam('The after cursor is invalid');
    const data = rows.slice(start, start + limit);
    if (data.length === 0) return ok({ data });
    const cursors = {
      before: encodeCursor({ i: start }),
      after: encodeCursor({ i: start + data.length - 1 }),
    };
    const paging: Record<string, unknown> = { cursors };
    const link = (cursor: Record<string, string>) => {
      const next = new URLSearchParams(params);
      next.delete('after');
      next.delete('before');
      next.set('access_token', caller.token);
      next.set('limit', String(limit));
      for (const [k, v] of Object.entries(cursor)) next.set(k, v);
      return `${this.url}/${this.version}/${path}?${next.toString()}`;
    };
    if (start + data.length < rows.length) paging.next = link({ after: cursors.after });
    if (start > 0) paging.previous = link({ before: cursors.before });
    return ok({ data, paging });
  }

  /** The index of the first row a request's after/before cursor asks for; undefined for a bad cursor. */
  private pageStart(params: URLSearchParams): number | undefined {
    const after = params.get('after');
    const before = params.get('before');
    const limit = positiveInt(params.get('limit')) ?? DEFAULT_PAGE_LIMIT;
    const index = (cursor: string): number | undefined => {
      const value = decodeCursor(cursor);
      return isRecord(value) && typeof value.i === 'number' && value.i >= 0 ? value.i : undefined;
    };
    if (after) {
      const i = index(after);
      return i === undefined ? undefined : i + 1;
    }
    if (before) {
      const i = index(before);
      return i === undefined ? undefined : Math.max(0, i - limit);
    }
    return 0;
  }

  // ---- Marketing API insights ----

  private adsInsights(actId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const scopes = caller.grant?.kind === 'user' ? caller.grant.scopes : [];
    if (!scopes.includes('ads_read') && !scopes.includes('ads_management')) return E.adsPermission();
    const account = this.adAccountSeeds.find((a) => `act_${a.accountId}` === actId);
    if (!account) return E.unsupported('GET', actId);
    const query = parseInsightsQuery(params, isoDay(this.clock()));
    if ('status' in query) return query;
    if (insightRowEstimate(account, query) > SYNC_ROW_LIMIT) return E.reduceData();
    const rows = insightRows(account, query, isoDay(this.clock()), this.deliveryDays);
    return this.paged(rows, params, caller, `${actId}/insights`);
  }

  /** The rows an insights call with these parameters answers, computed from the seed (for tests to compare). */
  expectedInsights(actId: string, params: Record<string, string>): Array<Record<string, unknown>> {
    const account = this.adAccountSeeds.find((a) => `act_${a.accountId}` === actId);
    const query = parseInsightsQuery(new URLSearchParams(params), isoDay(this.clock()));
    if (!account || 'status' in query) throw new Error(`not a valid insights query for ${actId}`);
    return insightRows(account, query, isoDay(this.clock()), this.deliveryDays);
  }

  /** The next n insights jobs end in Job Failed (Meta gives up on large jobs). */
  failNextJobs(n = 1): void {
    this.jobsToFail += n;
  }

  // ---- Asynchronous insights jobs ----

  private startInsightsJob(actId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const scopes = caller.grant?.kind === 'user' ? caller.grant.scopes : [];
    if (!scopes.includes('ads_read') && !scopes.includes('ads_management')) return E.adsPermission();
    const account = this.adAccountSeeds.find((a) => `act_${a.accountId}` === actId);
    if (!account) return E.unsupported('POST', actId);
    const query = parseInsightsQuery(params, isoDay(this.clock()));
    if ('status' in query) return query;
    const id = `6${String(1_000_000_000_000 + this.jobs.size + 1)}`;
    const fail = this.jobsToFail > 0;
    if (fail) this.jobsToFail -= 1;
    this.jobs.set(id, { id, account, query, steps: 0, fail });
    this.jobStats.started += 1;
    return ok({ report_run_id: id });
  }

  private insightsJobStatus(id: string): FakeResponse {
    const job = this.jobs.get(id);
    if (!job) return E.unsupported('GET', id);
    this.jobStats.statusReads += 1;
    job.steps += 1;
    const done = job.steps >= JOB_STEPS;
    if (done && job.fail) this.jobStats.failed += 1;
    return ok({
      id,
      account_id: job.account.accountId,
      time_ref: Math.floor(this.clock() / 1000),
      async_status: !done ? 'Job Running' : job.fail ? 'Job Failed' : 'Job Completed',
      async_percent_completion: done ? 100 : Math.floor((100 * job.steps) / JOB_STEPS),
      date_start: job.query.since,
      date_stop: job.query.until,
    });
  }

  private insightsJobRows(id: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const job = this.jobs.get(id);
    if (!job) return E.unsupported('GET', id);
    if (job.steps < JOB_STEPS || job.fail) {
      return E.invalidParam('The report run is not complete; read its async_status first');
    }
    // Meta keeps a finished job's result: it is computed once.
    job.rows ??= insightRows(job.account, job.query, isoDay(this.clock()), this.deliveryDays);
    const rows = job.rows;
    return this.paged(rows, params, caller, `${id}/insights`);
  }

  // ---- Page and Instagram insights ----

  private pageInsights(pageId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const grant = caller.grant;
    if (grant?.kind !== 'page') return E.pageTokenRequired();
    if (!grant.scopes.includes('read_insights') && !grant.scopes.includes('pages_read_engagement')) {
      return E.noPermission();
    }
    const metrics = splitList(params.get('metric'));
    if (metrics.length === 0 || metrics.some((m) => !(m in PAGE_METRICS))) {
      return E.invalidParam('The value must be a valid insights metric');
    }
    const period = params.get('period') ?? 'day';
    if (!PAGE_PERIODS.includes(period)) {
      return E.invalidParam(`period must be one of the following values: ${PAGE_PERIODS.join(', ')}`);
    }
    const range = this.insightsRange(params);
    if ('status' in range) return range;
    const data = metrics.map((name) => ({
      name,
      period,
      values: range.days.map((day) => ({
        value: periodValue(pageId, name, day, period),
        end_time: endTime(day),
      })),
      title: PAGE_METRICS[name],
      description: `${PAGE_METRICS[name]} (fake data)`,
      id: `${pageId}/insights/${name}/${period}`,
    }));
    return ok({ data, paging: this.timePaging(`${pageId}/insights`, params, caller, range.days) });
  }

  private igInsights(igUserId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    if (!caller.grant?.scopes.includes('instagram_manage_insights')) return E.noPermission();
    const metrics = splitList(params.get('metric'));
    if (metrics.length === 0) return E.invalidParam('The parameter metric is required');
    const bad = metrics.findIndex((m) => !IG_METRICS.includes(m));
    if (bad >= 0) {
      return E.invalidParam(`metric[${bad}] must be one of the following values: ${IG_METRICS.join(', ')}`);
    }
    const metricType = params.get('metric_type') ?? 'time_series';
    const needsTotal = metrics.filter((m) => !IG_TIME_SERIES.includes(m));
    if (metricType !== 'total_value' && needsTotal.length > 0) {
      return E.invalidParam(
        `The following metrics (${needsTotal.join(', ')}) should be specified with parameter metric_type=total_value`,
      );
    }
    const period = params.get('period');
    if (period !== 'day')
      return E.invalidParam('Incorrect period. period must be day for the requested metrics');
    const range = this.insightsRange(params);
    if ('status' in range) return range;
    const data = metrics.map((name) => {
      const base = { name, period, title: titleCase(name), description: `${titleCase(name)} (fake data)` };
      const id = `${igUserId}/insights/${name}/${period}`;
      if (metricType === 'total_value') {
        const total = range.days.reduce((sum, day) => sum + periodValue(igUserId, name, day, 'day'), 0);
        return { ...base, total_value: { value: total }, id };
      }
      return {
        ...base,
        values: range.days.map((day) => ({
          value: periodValue(igUserId, name, day, 'day'),
          end_time: endTime(day),
        })),
        id,
      };
    });
    return ok({ data, paging: this.timePaging(`${igUserId}/insights`, params, caller, range.days) });
  }

  /** The days a since/until pair (unix seconds or YYYY-MM-DD, until exclusive) covers; the last two days by default. */
  private insightsRange(params: URLSearchParams): { days: string[] } | FakeResponse {
    const today = isoDay(this.clock());
    const since = params.get('since');
    const until = params.get('until');
    const untilDay = until === null ? today : toDay(until);
    const sinceDay = since === null ? untilDay && addDays(untilDay, -2) : toDay(since);
    if (!sinceDay || !untilDay)
      return E.invalidParam('since and until must be unix timestamps or YYYY-MM-DD dates');
    const days = daysBetween(sinceDay, addDays(untilDay, -1));
    if (days.length === 0) return E.invalidParam('The since field must be less than the until field');
    if (days.length > MAX_INSIGHTS_RANGE_DAYS) {
      return E.invalidParam('There cannot be more than 93 days (8035200 s) between since and until');
    }
    return { days };
  }

  private timePaging(
    path: string,
    params: URLSearchParams,
    caller: Caller,
    days: string[],
  ): Record<string, string> {
    const span = days.length;
    const link = (from: string) => {
      const q = new URLSearchParams(params);
      q.set('access_token', caller.token);
      q.set('since', String(Date.parse(`${from}T00:00:00Z`) / 1000));
      q.set('until', String(Date.parse(`${addDays(from, span)}T00:00:00Z`) / 1000));
      return `${this.url}/${this.version}/${path}?${q.toString()}`;
    };
    return { previous: link(addDays(days[0], -span)), next: link(addDays(days[0], span)) };
  }

  // ---- Publishing ----

  private postToPage(pageId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    const grant = caller.grant;
    if (grant?.kind !== 'page' || grant.pageId !== pageId || !grant.scopes.includes('pages_manage_posts')) {
      return E.pagePostPermission();
    }
    const message = params.get('message') ?? undefined;
    const link = params.get('link') ?? undefined;
    if (!message && !link) return E.invalidParam('Missing message or attachment');
    const id = `${pageId}_${this.newId('12210000000')}`;
    this.posts.push({
      id,
      kind: 'page_post',
      targetId: pageId,
      appId: caller.appId,
      message,
      link,
      createdAt: this.clock(),
    });
    return ok({ id });
  }

  private createContainer(igUserId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    if (!caller.grant?.scopes.includes('instagram_content_publish')) return E.noPermission();
    const mediaType = (params.get('media_type') ?? 'IMAGE').toUpperCase();
    if (!['IMAGE', 'REELS', 'STORIES'].includes(mediaType)) {
      return E.invalidParam(`The media_type ${mediaType} is not supported here; use IMAGE, REELS or STORIES`);
    }
    const imageUrl = mediaType === 'REELS' ? null : params.get('image_url');
    const videoUrl = mediaType === 'IMAGE' ? null : params.get('video_url');
    const mediaUrl = imageUrl ?? videoUrl;
    if (!mediaUrl)
      return E.invalidParam(
        `The parameter ${mediaType === 'IMAGE' ? 'image_url' : 'video_url'} is required.`,
      );
    const dayAgo = this.clock() - DAY_MS;
    const recent = [...this.containers.values()].filter(
      (c) => c.igUserId === igUserId && c.createdAt > dayAgo,
    );
    if (recent.length >= IG_CONTAINERS_PER_DAY) return igLimitError('containers');
    const id = this.newId('1790000000');
    const isVideo = videoUrl !== null && imageUrl === null;
    const failed = isVideo && this.failNextVideoProcessing;
    if (failed) this.failNextVideoProcessing = false;
    this.containers.set(id, {
      id,
      igUserId,
      appId: caller.appId,
      mediaType,
      mediaUrl,
      isVideo,
      caption: params.get('caption') ?? undefined,
      createdAt: this.clock(),
      readyAt: this.clock() + (isVideo ? this.videoProcessingMs : 0),
      failed,
    });
    return ok({ id });
  }

  private publishContainer(igUserId: string, params: URLSearchParams, caller: Caller): FakeResponse {
    if (!caller.grant?.scopes.includes('instagram_content_publish')) return E.noPermission();
    const creationId = params.get('creation_id');
    if (!creationId) return E.invalidParam('The parameter creation_id is required.');
    const container = this.containers.get(creationId);
    if (!container || container.igUserId !== igUserId) return E.unsupported('GET', creationId);
    if (container.publishedId) return E.invalidParam('The media has already been published');
    if (this.containerStatus(container) !== 'FINISHED') {
      return metaError({
        message: 'Media ID is not available',
        code: 9007,
        subcode: 2207027,
        userTitle: 'Media not ready for publishing',
        userMsg: 'The media is not ready for publishing, please wait for a moment',
      });
    }
    if (this.igPostsInLastDay(igUserId) >= IG_POSTS_PER_DAY) return igLimitError('posts');
    const id = this.newId('1780000000');
    container.publishedId = id;
    this.posts.push({
      id,
      kind: 'instagram_media',
      targetId: igUserId,
      appId: caller.appId,
      message: container.caption,
      mediaType: container.mediaType,
      mediaUrl: container.mediaUrl,
      isVideo: container.isVideo,
      createdAt: this.clock(),
    });
    return ok({ id });
  }

  /**
   * Videos report IN_PROGRESS for minutes (videoProcessingSeconds of the fake's clock, or until finishVideos()),
   * then FINISHED, or ERROR when processing failed; any container unpublished after 24 h is EXPIRED.
   */
  private containerStatus(container: IgContainer): string {
    if (container.publishedId) return 'PUBLISHED';
    if (this.clock() - container.createdAt > DAY_MS) return 'EXPIRED';
    if (container.failed) return 'ERROR';
    return this.clock() >= container.readyAt ? 'FINISHED' : 'IN_PROGRESS';
  }

  private igPostsInLastDay(igUserId: string): number {
    const dayAgo = this.clock() - DAY_MS;
    return this.posts.filter(
      (p) => p.targetId === igUserId && p.kind === 'instagram_media' && p.createdAt > dayAgo,
    ).length;
  }

  // ---- Faults and usage headers ----

  private faultResponse(fault: FakeFault, rest: string): FakeResponse {
    const appUsage = JSON.stringify({ call_count: 100, total_cputime: 24, total_time: 31 });
    if (fault === 'server_error') {
      return metaError({
        status: 500,
        message: 'An unexpected error has occurred. Please retry your request later.',
        code: 2,
        isTransient: true,
      });
    }
    if (fault === 'token_expired') return E.tokenExpired(this.clock());
    const accountId = /^act_(\d+)/.exec(rest)?.[1];
    if (accountId) {
      const usage = {
        [accountId]: [
          {
            type: rest.includes('/insights') ? 'ads_insights' : 'ads_management',
            call_count: 100,
            total_cputime: 32,
            total_time: 41,
            estimated_time_to_regain_access: 5,
            ads_api_access_tier: 'standard_access',
          },
        ],
      };
      return metaError({
        message:
          'There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#ads-management.',
        code: 80004,
        subcode: 2446079,
        userTitle: 'Too many calls to this ad-account',
        headers: { 'x-business-use-case-usage': JSON.stringify(usage), 'x-app-usage': appUsage },
      });
    }
    return metaError({
      message: '(#17) User request limit reached',
      code: 17,
      subcode: 2446079,
      headers: { 'x-app-usage': appUsage },
    });
  }

  private usageHeaders(appId: string, rest: string): Record<string, string> {
    const window = this.usage.hit(appId, APP_CALLS_PER_HOUR);
    const pct = Math.min(
      100,
      Math.floor(((APP_CALLS_PER_HOUR - window.remaining) * 100) / APP_CALLS_PER_HOUR),
    );
    const headers: Record<string, string> = {
      'x-app-usage': JSON.stringify({
        call_count: pct,
        total_cputime: Math.floor(pct / 2),
        total_time: Math.floor(pct / 2),
      }),
    };
    const accountId = /^act_(\d+)/.exec(rest)?.[1];
    if (accountId) {
      const type = rest.includes('/insights') ? 'ads_insights' : 'ads_management';
      const entry = {
        type,
        call_count: pct,
        total_cputime: pct,
        total_time: pct,
        estimated_time_to_regain_access: 0,
        ads_api_access_tier: 'standard_access',
      };
      headers['x-business-use-case-usage'] = JSON.stringify({ [accountId]: [entry] });
      headers['x-ad-account-usage'] = JSON.stringify({
        acc_id_util_pct: pct,
        reset_time_duration: 0,
        ads_api_access_tier: 'standard_access',
      });
    }
    return headers;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  private newId(prefix: string): string {
    const n = this.nextId;
    this.nextId += 1;
    return `${prefix}${String(n).padStart(7, '0')}`;
  }
}

// ---- Helpers --------------------------------------------------------------------------------------

function ok(body: unknown): FakeResponse {
  return { status: 200, body };
}

function igLimitError(what: 'posts' | 'containers'): FakeResponse {
  return metaError({
    message: 'Application request limit reached',
    code: 9,
    subcode: 2207042,
    userTitle: `Max. number of ${what} reached`,
    userMsg: `The account has reached its limit of ${what === 'posts' ? IG_POSTS_PER_DAY : IG_CONTAINERS_PER_DAY} ${what} in 24 hours. Try again later.`,
  });
}

/** Query string merged with a form or JSON body: Graph takes parameters from either. */
function requestParams(req: FakeRequest): URLSearchParams {
  const params = new URLSearchParams(req.url.search);
  const type = String(req.headers['content-type'] ?? '');
  const extra = type.includes('application/json')
    ? jsonParams(req.json())
    : type.includes('form')
      ? req.form()
      : undefined;
  if (extra) for (const [k, v] of extra) if (!params.has(k)) params.set(k, v);
  return params;
}

function jsonParams(body: unknown): URLSearchParams {
  const params = new URLSearchParams();
  if (isRecord(body)) {
    for (const [k, v] of Object.entries(body)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return params;
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return Boolean(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Meta takes comma-separated scopes and tolerates spaces; public_profile is always granted. */
function splitScopes(scope: string | null): string[] {
  return (scope ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
}

function withPublicProfile(scopes: string[]): string[] {
  return scopes.includes('public_profile') ? scopes : [...scopes, 'public_profile'];
}

function splitList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

function pick(row: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (row[name] !== undefined) out[name] = row[name];
  if (!('id' in out)) out.id = row.id;
  return out;
}

/** Splits `a,b{c,d},e` at top-level commas into names with their nested selection. */
function parseFields(fields: string): Array<{ name: string; sub: string | undefined }> {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of fields) {
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    if (ch === '{') depth += 1;
    if (ch === '}') depth -= 1;
    current += ch;
  }
  parts.push(current);
  return parts
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const brace = p.indexOf('{');
      return brace < 0
        ? { name: p, sub: undefined }
        : { name: p.slice(0, brace), sub: p.slice(brace + 1, -1) };
    });
}

function toDay(value: string): string | undefined {
  if (/^\d+$/.test(value)) return isoDay(Number(value) * 1000);
  return isIsoDay(value) ? value : undefined;
}

/** Page and Instagram insights values end at the next Pacific midnight, written in UTC. */
function endTime(day: string): string {
  return `${addDays(day, 1)}T08:00:00+0000`;
}

function titleCase(name: string): string {
  const words = name
    .replace(/^page_/, '')
    .split('_')
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function containerStatusText(code: string): string {
  if (code === 'FINISHED') return 'Finished: Media has been uploaded and it is ready to be published.';
  if (code === 'IN_PROGRESS') return 'In Progress: Media is still being processed.';
  if (code === 'PUBLISHED') return 'Published: Media has been published.';
  if (code === 'ERROR') return 'Error: Media upload has failed with error code 2207026.';
  return 'Expired: Media was not published within 24 hours.';
}

// Page metrics valid in 2026; page_impressions*, page_fans and friends were retired in 2025 and
// answer "(#100) The value must be a valid insights metric" on every version.
const PAGE_METRICS: Record<string, string> = {
  page_media_view: 'Media views',
  page_total_media_view_unique: 'Unique media views',
  page_post_engagements: 'Daily Post Engagements',
  page_follows: 'Followers',
  page_daily_follows_unique: 'Daily new followers',
  page_views_total: 'Daily Total views count per Page',
  page_video_views: 'Daily Total Video Views',
  page_total_actions: 'Daily total action count per Page',
};
const PAGE_PERIODS = ['day', 'week', 'days_28'];

// Instagram account metrics; "impressions" was retired in 2025 (v22.0, then all versions).
const IG_METRICS = [
  'reach',
  'follower_count',
  'website_clicks',
  'profile_views',
  'accounts_engaged',
  'total_interactions',
  'likes',
  'comments',
  'shares',
  'saves',
  'replies',
  'follows_and_unfollows',
  'profile_links_taps',
  'views',
];
/** The metrics that also come as a daily time series; every other one needs metric_type=total_value. */
const IG_TIME_SERIES = ['reach', 'follower_count'];

function dailyValue(objectId: string, metric: string, day: string): number {
  return seededInt(5, 500, objectId, metric, day);
}

/** A day's value, or the trailing 7 / 28 day sum for week / days_28. */
function periodValue(objectId: string, metric: string, day: string, period: string): number {
  const span = period === 'week' ? 7 : period === 'days_28' ? 28 : 1;
  let sum = 0;
  for (let i = 0; i < span; i += 1) sum += dailyValue(objectId, metric, addDays(day, -i));
  return sum;
}

// ---- Marketing API insights computation ----------------------------------------------------------

const INSIGHT_LEVELS = ['ad', 'adset', 'campaign', 'account'] as const;
type InsightLevel = (typeof INSIGHT_LEVELS)[number];

const IDENTITY_FIELDS: Record<string, InsightLevel> = {
  account_id: 'account',
  account_name: 'account',
  account_currency: 'account',
  campaign_id: 'campaign',
  campaign_name: 'campaign',
  objective: 'campaign',
  adset_id: 'adset',
  adset_name: 'adset',
  ad_id: 'ad',
  ad_name: 'ad',
};
const METRIC_FIELDS = [
  'impressions',
  'clicks',
  'spend',
  'reach',
  'frequency',
  'ctr',
  'cpc',
  'cpm',
  'unique_clicks',
  'inline_link_clicks',
  'actions',
  'action_values',
  'video_play_actions',
];
/** Action types the seeded ads produce, and the attribution windows Meta still offers (7d_view and 28d_view went on 2026-01-12). */
const ACTION_TYPES = [
  'offsite_conversion.fb_pixel_purchase',
  'offsite_conversion.fb_pixel_lead',
  'onsite_conversion.purchase',
  'link_click',
];
const ATTRIBUTION_WINDOWS = ['1d_click', '7d_click', '28d_click', '1d_view', '1d_ev'];
const DEFAULT_WINDOWS = ['7d_click', '1d_view'];
/** A synchronous insights call that would answer more rows than this is refused with code 1 (use a job). */
const SYNC_ROW_LIMIT = 5_000;
const VALID_INSIGHT_FIELDS = new Set([
  ...Object.keys(IDENTITY_FIELDS),
  ...METRIC_FIELDS,
  'date_start',
  'date_stop',
]);

const BREAKDOWNS: Record<string, string[]> = {
  age: ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'],
  gender: ['female', 'male', 'unknown'],
  country: ['US', 'GB', 'DE'],
  publisher_platform: ['facebook', 'instagram', 'audience_network', 'messenger'],
  device_platform: ['mobile_app', 'mobile_web', 'desktop'],
};

const DATE_PRESETS = [
  'today',
  'yesterday',
  'this_month',
  'last_month',
  'maximum',
  'last_3d',
  'last_7d',
  'last_14d',
  'last_28d',
  'last_30d',
  'last_90d',
];

interface InsightsQuery {
  level: InsightLevel;
  fields: string[];
  since: string;
  until: string;
  increment: number | 'monthly' | 'all_days';
  breakdowns: string[];
  /** action_attribution_windows, when given: each action then carries one key per window. */
  windows?: string[];
}

function presetRange(preset: string, today: string): [string, string] {
  const days = /^last_(\d+)d$/.exec(preset);
  if (days) return [addDays(today, -Number(days[1])), addDays(today, -1)];
  const monthStart = `${today.slice(0, 8)}01`;
  switch (preset) {
    case 'today':
      return [today, today];
    case 'yesterday':
      return [addDays(today, -1), addDays(today, -1)];
    case 'this_month':
      return [monthStart, today];
    case 'last_month': {
      const lastDay = addDays(monthStart, -1);
      return [`${lastDay.slice(0, 8)}01`, lastDay];
    }
    default: // maximum
      return [addDays(today, -DELIVERY_DAYS), today];
  }
}

function parseInsightsQuery(params: URLSearchParams, today: string): InsightsQuery | FakeResponse {
  const fields = splitList(params.get('fields'));
  const chosen = fields.length > 0 ? fields : ['impressions', 'spend'];
  const invalid = chosen.filter((f) => !VALID_INSIGHT_FIELDS.has(f));
  if (invalid.length > 0) {
    return E.invalidParam(
      `${invalid.join(', ')} ${invalid.length === 1 ? 'is' : 'are'} not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values`,
    );
  }
  const level = params.get('level') ?? 'account';
  if (!(INSIGHT_LEVELS as readonly string[]).includes(level)) {
    return E.invalidParam(`level must be one of the following values: ${INSIGHT_LEVELS.join(', ')}`);
  }
  const breakdowns = splitList(params.get('breakdowns'));
  const badBreakdown = breakdowns.find((b) => !(b in BREAKDOWNS));
  if (badBreakdown) {
    return E.invalidParam(
      `${badBreakdown} is not valid for breakdowns param. please check https://developers.facebook.com/docs/marketing-api/insights/breakdowns/ for all valid values`,
    );
  }
  const range = insightsDateRange(params, today);
  if ('status' in range) return range;
  const increment = parseIncrement(params.get('time_increment'));
  if (increment === undefined) {
    return E.invalidParam('time_increment must be all_days, monthly or an integer from 1 to 90');
  }
  const windows = parseWindows(params.get('action_attribution_windows'));
  if (windows === 'invalid') {
    return E.invalidParam(
      `action_attribution_windows must be a JSON list of ${ATTRIBUTION_WINDOWS.join(', ')} (7d_view and 28d_view are no longer available)`,
    );
  }
  return {
    level: level as InsightLevel,
    fields: chosen,
    since: range[0],
    until: range[1],
    increment,
    breakdowns,
    windows,
  };
}

function insightsDateRange(params: URLSearchParams, today: string): [string, string] | FakeResponse {
  const bracketSince = params.get('time_range[since]');
  const bracketUntil = params.get('time_range[until]');
  const timeRange =
    bracketSince !== null || bracketUntil !== null
      ? JSON.stringify({ since: bracketSince, until: bracketUntil })
      : params.get('time_range');
  if (timeRange !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(timeRange);
    } catch {
      parsed = undefined;
    }
    const since = isRecord(parsed) && typeof parsed.since === 'string' ? parsed.since : '';
    const until = isRecord(parsed) && typeof parsed.until === 'string' ? parsed.until : '';
    if (!isIsoDay(since) || !isIsoDay(until)) {
      return E.invalidParam('time_range must be a JSON object {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}');
    }
    if (since > until) return E.invalidParam('time_range: since must be on or before until');
    return [since, until];
  }
  const preset = params.get('date_preset') ?? 'last_30d';
  if (!DATE_PRESETS.includes(preset)) {
    return E.invalidParam(`date_preset must be one of the following values: ${DATE_PRESETS.join(', ')}`);
  }
  return presetRange(preset, today);
}

function parseWindows(value: string | null): string[] | undefined | 'invalid' {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = value.split(',');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return 'invalid';
  const list = parsed.map(String);
  return list.every((w) => ATTRIBUTION_WINDOWS.includes(w)) ? list : 'invalid';
}

function parseIncrement(value: string | null): InsightsQuery['increment'] | undefined {
  if (value === null || value === 'all_days') return 'all_days';
  if (value === 'monthly') return 'monthly';
  const n = positiveInt(value);
  return n !== undefined && n <= 90 ? n : undefined;
}

function timeBuckets(q: InsightsQuery): Array<[string, string]> {
  if (q.increment === 'all_days') return [[q.since, q.until]];
  const buckets: Array<[string, string]> = [];
  let start = q.since;
  while (start <= q.until) {
    let stop: string;
    if (q.increment === 'monthly') {
      const nextMonth = addDays(`${start.slice(0, 8)}01`, 32);
      stop = addDays(`${nextMonth.slice(0, 8)}01`, -1);
    } else {
      stop = addDays(start, q.increment - 1);
    }
    if (stop > q.until) stop = q.until;
    buckets.push([start, stop]);
    start = addDays(stop, 1);
  }
  return buckets;
}

interface InsightEntity {
  identity: Record<string, string>;
  ads: MetaAdSeed[];
}

function entitiesAt(account: MetaAdAccountSeed, level: InsightLevel): InsightEntity[] {
  const accountIdentity = {
    account_id: account.accountId,
    account_name: account.name,
    account_currency: account.currency,
  };
  const campaigns = account.campaigns;
  if (level === 'account') {
    return [{ identity: accountIdentity, ads: campaigns.flatMap((c) => c.adsets.flatMap((s) => s.ads)) }];
  }
  const out: InsightEntity[] = [];
  for (const c of campaigns) {
    const campaignIdentity = {
      ...accountIdentity,
      campaign_id: c.id,
      campaign_name: c.name,
      objective: c.objective,
    };
    if (level === 'campaign') {
      out.push({ identity: campaignIdentity, ads: c.adsets.flatMap((s) => s.ads) });
      continue;
    }
    for (const s of c.adsets) {
      const adsetIdentity = { ...campaignIdentity, adset_id: s.id, adset_name: s.name };
      if (level === 'adset') out.push({ identity: adsetIdentity, ads: s.ads });
      else
        for (const ad of s.ads)
          out.push({ identity: { ...adsetIdentity, ad_id: ad.id, ad_name: ad.name }, ads: [ad] });
    }
  }
  return out;
}

function breakdownCombos(breakdowns: string[]): Array<Record<string, string>> {
  let combos: Array<Record<string, string>> = [{}];
  for (const b of breakdowns) combos = combos.flatMap((c) => BREAKDOWNS[b].map((v) => ({ ...c, [b]: v })));
  return combos;
}

interface Counts {
  impressions: number;
  clicks: number;
  spendCents: number;
  reach: number;
  uniqueClicks: number;
  linkClicks: number;
  videoPlays: number;
  /** `${action_type}|${window}` → count, and the value in cents. */
  actions: Record<string, number>;
  actionCents: Record<string, number>;
}

/** Conversions of one action type on one ad and day, per attribution window: wider windows count more. */
function adActions(ad: string, day: string, linkClicks: number): Pick<Counts, 'actions' | 'actionCents'> {
  const actions: Record<string, number> = {};
  const actionCents: Record<string, number> = {};
  for (const type of ACTION_TYPES) {
    const click =
      type === 'link_click'
        ? linkClicks
        : seededInt(0, Math.max(1, Math.floor(linkClicks / 4)), ad, day, type);
    const perWindow: Record<string, number> = {
      '1d_click': Math.floor(click * 0.6),
      '7d_click': click,
      '28d_click': click + Math.floor(click * 0.2),
      '1d_view': type === 'link_click' ? 0 : seededInt(0, 3, ad, day, type, 'view'),
      '1d_ev': 0,
    };
    const price = type === 'link_click' ? 0 : seededInt(500, 9000, ad, type, 'price');
    for (const [w, n] of Object.entries(perWindow)) {
      actions[`${type}|${w}`] = n;
      actionCents[`${type}|${w}`] = n * price;
    }
  }
  return { actions, actionCents };
}

/** Each ad's day, computed once (hashing is what a long report spends its time on). */
const adDays = new Map<string, Counts>();

function adDay(ad: string, day: string): Counts {
  const key = `${ad}|${day}`;
  let counts = adDays.get(key);
  if (!counts) {
    if (adDays.size > 500_000) adDays.clear();
    counts = computeAdDay(ad, day);
    adDays.set(key, counts);
  }
  return counts;
}

function computeAdDay(ad: string, day: string): Counts {
  const impressions = seededInt(200, 5000, ad, day, 'impressions');
  const clicks = seededInt(1, Math.floor(impressions / 25), ad, day, 'clicks');
  const linkClicks = Math.floor(clicks * 0.7);
  return {
    impressions,
    clicks,
    spendCents: seededInt(100, 5000, ad, day, 'spend'),
    reach: Math.floor(impressions * 0.8),
    uniqueClicks: Math.floor(clicks * 0.9),
    linkClicks,
    videoPlays: Math.floor(impressions / 10),
    ...adActions(ad, day, linkClicks),
  };
}

/** A breakdown value's share of a day's delivery: the parts of every combination add up to the day's totals. */
function splitCounts(
  total: Counts,
  ad: string,
  day: string,
  combos: Array<Record<string, string>>,
): Counts[] {
  if (combos.length === 1) return [total];
  const weights = combos.map((c) => seededInt(1, 10, ad, day, JSON.stringify(c)));
  const sum = weights.reduce((a, b) => a + b, 0);
  const parts = combos.map(() => ({
    ...total,
    actions: { ...total.actions },
    actionCents: { ...total.actionCents },
  }));
  const share = (read: (c: Counts) => number, write: (c: Counts, v: number) => void) => {
    let given = 0;
    weights.forEach((w, i) => {
      const v = Math.floor((read(total) * w) / sum);
      write(parts[i], v);
      given += v;
    });
    write(parts[0], read(parts[0]) + read(total) - given);
  };
  for (const key of NUMERIC_COUNTS)
    share(
      (c) => c[key],
      (c, v) => (c[key] = v),
    );
  for (const key of Object.keys(total.actions)) {
    share(
      (c) => c.actions[key],
      (c, v) => (c.actions[key] = v),
    );
    share(
      (c) => c.actionCents[key],
      (c, v) => (c.actionCents[key] = v),
    );
  }
  return parts;
}

/** Rows a query would answer, without computing them (to refuse synchronous calls that are too large). */
function insightRowEstimate(account: MetaAdAccountSeed, q: InsightsQuery): number {
  return timeBuckets(q).length * entitiesAt(account, q.level).length * breakdownCombos(q.breakdowns).length;
}

/**
 * Reach of a bucket is not the sum of its days (people come back): the busiest day's reach plus 30% of the
 * others', so a one-day bucket is that day's figure and any longer bucket less than the days' sum.
 */
function bucketReach(daily: number[]): number {
  if (daily.length === 0) return 0;
  const max = Math.max(...daily);
  const sum = daily.reduce((a, b) => a + b, 0);
  return max + Math.floor((sum - max) * 0.3);
}

function insightRows(
  account: MetaAdAccountSeed,
  q: InsightsQuery,
  today: string,
  deliveryDays: number,
): Array<Record<string, unknown>> {
  const firstDelivery = addDays(today, -deliveryDays);
  const combos = breakdownCombos(q.breakdowns);
  const rows: Array<Record<string, unknown>> = [];
  for (const [start, stop] of timeBuckets(q)) {
    const days = daysBetween(start < firstDelivery ? firstDelivery : start, stop > today ? today : stop);
    for (const entity of entitiesAt(account, q.level)) {
      const sums = combos.map(() => zeroCounts());
      const dailyReach = combos.map(() => days.map(() => 0));
      for (const ad of entity.ads) {
        days.forEach((day, d) => {
          splitCounts(adDay(ad.id, day), ad.id, day, combos).forEach((part, i) => {
            addCounts(sums[i], part);
            dailyReach[i][d] += part.reach;
          });
        });
      }
      combos.forEach((combo, i) => {
        if (sums[i].impressions === 0) return; // Meta leaves out rows without delivery
        sums[i].reach = bucketReach(dailyReach[i]);
        rows.push(insightRow(entity, q, sums[i], combo, start, stop));
      });
    }
  }
  return rows;
}

const NUMERIC_COUNTS = [
  'impressions',
  'clicks',
  'spendCents',
  'reach',
  'uniqueClicks',
  'linkClicks',
  'videoPlays',
] as const;

function zeroCounts(): Counts {
  return {
    impressions: 0,
    clicks: 0,
    spendCents: 0,
    reach: 0,
    uniqueClicks: 0,
    linkClicks: 0,
    videoPlays: 0,
    actions: {},
    actionCents: {},
  };
}

function addCounts(into: Counts, part: Counts): void {
  for (const key of NUMERIC_COUNTS) into[key] += part[key];
  for (const [k, v] of Object.entries(part.actions)) into.actions[k] = (into.actions[k] ?? 0) + v;
  for (const [k, v] of Object.entries(part.actionCents)) into.actionCents[k] = (into.actionCents[k] ?? 0) + v;
}

/** Meta's action list: one entry per action type with any count, `value` under the windows in effect. */
function actionList(
  counts: Record<string, number>,
  windows: string[] | undefined,
  format: (n: number) => string,
  only?: string[],
): Array<Record<string, string>> | undefined {
  const effective = windows ?? DEFAULT_WINDOWS;
  const list: Array<Record<string, string>> = [];
  for (const type of only ?? ACTION_TYPES) {
    const per = (w: string) => counts[`${type}|${w}`] ?? 0;
    const total = effective.reduce((a, w) => a + per(w), 0);
    if (total === 0) continue;
    const entry: Record<string, string> = { action_type: type, value: format(total) };
    for (const w of windows ?? []) entry[w] = format(per(w));
    list.push(entry);
  }
  return list.length ? list : undefined;
}

function insightRow(
  entity: InsightEntity,
  q: InsightsQuery,
  c: Counts,
  combo: Record<string, string>,
  start: string,
  stop: string,
): Record<string, unknown> {
  const spend = c.spendCents / 100;
  const count = (n: number) => String(n);
  const money = (cents: number) => (cents / 100).toFixed(2);
  const metrics: Record<string, unknown> = {
    impressions: String(c.impressions),
    clicks: String(c.clicks),
    spend: spend.toFixed(2),
    reach: String(c.reach),
    frequency: c.reach > 0 ? (c.impressions / c.reach).toFixed(6) : undefined,
    ctr: ((c.clicks / c.impressions) * 100).toFixed(6),
    cpc: c.clicks > 0 ? (spend / c.clicks).toFixed(6) : undefined,
    cpm: ((spend / c.impressions) * 1000).toFixed(6),
    unique_clicks: String(c.uniqueClicks),
    inline_link_clicks: String(c.linkClicks),
    actions: actionList(c.actions, q.windows, count),
    action_values: actionList(c.actionCents, q.windows, money),
    video_play_actions: c.videoPlays
      ? [{ action_type: 'video_view', value: String(c.videoPlays) }]
      : undefined,
  };
  const row: Record<string, unknown> = {};
  const levelRank = INSIGHT_LEVELS.indexOf(q.level);
  for (const field of q.fields) {
    const fieldLevel = IDENTITY_FIELDS[field];
    // Identity fields finer than the report's level have no single value, so Meta leaves them out.
    if (fieldLevel !== undefined) {
      if (INSIGHT_LEVELS.indexOf(fieldLevel) >= levelRank && entity.identity[field] !== undefined) {
        row[field] = entity.identity[field];
      }
      continue;
    }
    const value = metrics[field];
    if (value !== undefined) row[field] = value;
  }
  row.date_start = start;
  row.date_stop = stop;
  return { ...row, ...combo };
}
