// needsRenewal decides what the sweep (and every on-demand use) renews: access tokens that would lapse
// before the next run plus a margin, refresh tokens the platform expires (by date, or when left unused),
// and never a token with plenty of life left.
import { findDefinition } from '../src/platforms/registry/definitions';
import { ConnectorDefinition } from '../src/catalog/types';
import { sweepIntervalMs, sweepSchedule } from '../src/services/sweepSchedule';
import { needsRenewal } from '../src/services/tokenLifecycle';
import { ConnectionRecord } from '../src/stores/connectionStore';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-06-01T12:00:00Z');
/** The sweep's look-ahead: its interval plus a 10-minute margin. */
const horizon = (intervalMs: number) => intervalMs + 10 * MINUTE;
const DEFAULT_HORIZON = horizon(15 * MINUTE);

function def(type: string): ConnectorDefinition {
  const found = findDefinition(type);
  if (!found) throw new Error(`no definition of ${type}`);
  return found;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A connection whose access token was issued `ageMs` ago and lives `lifeMs` (no expiry when undefined). */
function connection(
  type: string,
  ageMs: number,
  lifeMs: number | undefined,
  extra: Partial<ConnectionRecord> = {},
): ConnectionRecord {
  const issued = NOW - ageMs;
  return {
    tenantId: 't',
    id: '00000000-0000-4000-8000-000000000001',
    connectorType: type,
    name: type,
    status: 'active',
    scopes: [],
    createdAt: iso(issued),
    updatedAt: iso(issued),
    lastRefreshedAt: iso(issued),
    expiresAt: lifeMs === undefined ? undefined : iso(issued + lifeMs),
    ...extra,
  };
}

describe('access tokens', () => {
  it.each(['youtube', 'google_ads'])(
    '%s: a one-hour token with plenty of life left is not renewed',
    (type) => {
      expect(needsRenewal(connection(type, 5 * MINUTE, HOUR), def(type), DEFAULT_HORIZON, NOW)).toBe(false);
      expect(needsRenewal(connection(type, 30 * MINUTE, HOUR), def(type), DEFAULT_HORIZON, NOW)).toBe(false);
      // The tests' 2-second sweep looks 10 minutes and 2 seconds ahead.
      expect(needsRenewal(connection(type, 45 * MINUTE, HOUR), def(type), horizon(2 * SECOND), NOW)).toBe(
        false,
      );
    },
  );

  it('a token that would lapse before the next run plus the margin is renewed', () => {
    expect(needsRenewal(connection('youtube', 40 * MINUTE, HOUR), def('youtube'), DEFAULT_HORIZON, NOW)).toBe(
      true,
    );
    expect(needsRenewal(connection('tiktok', 23.7 * HOUR, DAY), def('tiktok'), DEFAULT_HORIZON, NOW)).toBe(
      true,
    );
    expect(needsRenewal(connection('tiktok', 20 * HOUR, DAY), def('tiktok'), DEFAULT_HORIZON, NOW)).toBe(
      false,
    );
  });

  it('an access token that has already expired is renewed', () => {
    expect(
      needsRenewal(connection('twitter', 3 * HOUR, 2 * HOUR), def('twitter'), DEFAULT_HORIZON, NOW),
    ).toBe(true);
  });

  it("Google's one-hour tokens are not renewed on every sweep: at most once per token life", () => {
    const d = def('youtube');
    let record = connection('youtube', 0, HOUR);
    const renewedAt: number[] = [];
    for (let t = NOW; t <= NOW + 12 * HOUR; t += 15 * MINUTE) {
      if (!needsRenewal(record, d, DEFAULT_HORIZON, t)) continue;
      renewedAt.push(t);
      record = { ...record, lastRefreshedAt: iso(t), expiresAt: iso(t + HOUR) };
    }
    const gaps = renewedAt.slice(1).map((t, i) => t - renewedAt[i]);
    expect(renewedAt.length).toBeGreaterThan(0);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(45 * MINUTE); // never two sweeps in a row
    // …and the token never lapsed between two sweeps.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HOUR);
  });

  it('a token shorter than twice the look-ahead is renewed at half its life, not on every use', () => {
    const d = def('tiktok');
    const h = horizon(2 * SECOND);
    expect(needsRenewal(connection('tiktok', 2 * SECOND, 6 * SECOND), d, h, NOW)).toBe(false);
    expect(needsRenewal(connection('tiktok', 3.5 * SECOND, 6 * SECOND), d, h, NOW)).toBe(true);
  });
});

describe('refresh tokens with an end date', () => {
  const later = (ms: number) => ({ refreshExpiresAt: iso(NOW + ms) });

  it('a rotating refresh token (TikTok, X) is renewed within 7 days of its end, since renewing extends it', () => {
    for (const type of ['tiktok', 'twitter']) {
      expect(
        needsRenewal(connection(type, HOUR, 30 * DAY, later(6 * DAY)), def(type), DEFAULT_HORIZON, NOW),
      ).toBe(true);
      expect(
        needsRenewal(connection(type, HOUR, 30 * DAY, later(30 * DAY)), def(type), DEFAULT_HORIZON, NOW),
      ).toBe(false);
    }
  });

  it("LinkedIn's refresh token keeps its original end, so renewing early would gain nothing", () => {
    const record = connection('linkedin', HOUR, 60 * DAY, later(6 * DAY));
    expect(needsRenewal(record, def('linkedin'), DEFAULT_HORIZON, NOW)).toBe(false);
  });
});

describe('refresh tokens that expire when unused (Google: six months)', () => {
  it('the Google definitions say so as data', () => {
    expect(def('youtube').oauth.refreshTokenIdleDays).toBe(180);
    expect(def('google_ads').oauth.refreshTokenIdleDays).toBe(180);
    for (const type of ['tiktok', 'twitter', 'linkedin', 'meta', 'facebook', 'instagram']) {
      expect(def(type).oauth.refreshTokenIdleDays).toBeUndefined();
    }
  });

  // No expires_at isolates the rule: with one, Google's one-hour access token would be renewed first anyway.
  it.each(['youtube', 'google_ads'])(
    '%s: renewed once unused for 180 days less the 7-day margin, not before',
    (type) => {
      expect(needsRenewal(connection(type, 172 * DAY, undefined), def(type), DEFAULT_HORIZON, NOW)).toBe(
        false,
      );
      expect(
        needsRenewal(connection(type, 173 * DAY + MINUTE, undefined), def(type), DEFAULT_HORIZON, NOW),
      ).toBe(true);
      expect(needsRenewal(connection(type, 179 * DAY, undefined), def(type), DEFAULT_HORIZON, NOW)).toBe(
        true,
      );
    },
  );

  it('a platform without idle expiry is not renewed for age alone', () => {
    for (const type of ['linkedin', 'tiktok']) {
      expect(needsRenewal(connection(type, 300 * DAY, undefined), def(type), DEFAULT_HORIZON, NOW)).toBe(
        false,
      );
    }
  });
});

describe('SWEEP_INTERVAL_SECONDS: one setting for the timer schedule and the interval', () => {
  it('makes the NCRONTAB schedule the Functions host runs and the interval the local host runs', () => {
    expect(sweepSchedule(undefined)).toEqual({ schedule: '0 */15 * * * *', intervalMs: 900_000 });
    expect(sweepSchedule('2')).toEqual({ schedule: '*/2 * * * * *', intervalMs: 2000 });
    expect(sweepSchedule('300')).toEqual({ schedule: '0 */5 * * * *', intervalMs: 300_000 });
    expect(sweepSchedule('7200')).toEqual({ schedule: '0 0 */2 * * *', intervalMs: 7_200_000 });
    expect(sweepSchedule('86400')).toEqual({ schedule: '0 0 0 * * *', intervalMs: 86_400_000 });
  });

  it('rounds down to a step NCRONTAB can say, so the schedule and the interval never disagree', () => {
    expect(sweepSchedule('1000')).toEqual({ schedule: '0 */15 * * * *', intervalMs: 900_000 });
    expect(sweepSchedule('7')).toEqual({ schedule: '*/6 * * * * *', intervalMs: 6000 });
    expect(sweepSchedule('0.5')).toEqual({ schedule: '*/1 * * * * *', intervalMs: 1000 });
    expect(sweepSchedule('99999999').intervalMs).toBe(86_400_000);
  });

  it('falls back to 900 s rather than run without pause on an empty, zero, negative or non-numeric value', () => {
    for (const raw of ['', ' ', '0', '-5', 'abc', 'Infinity']) expect(sweepIntervalMs(raw)).toBe(900_000);
  });
});
