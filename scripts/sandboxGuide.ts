// What the sandbox guide shows for each connector type: an account to pick, a query that returns rows, what
// next_page does after it, the unified report (types with the `report` capability), and an execute (or why the type has none), all with ids the fakes seed. test/sandbox.test.ts runs every one
// of them against a real sandbox, so the guide cannot drift from what works.
import { GOOGLE_SEED } from '../test/fakes/google';
import { META_SEED } from '../test/fakes/meta';
import { seedAdvertisers } from '../test/fakes/tiktokAdsSeed';
import { FakeConnectorType } from '../test/fakes/types';

export interface GuideEntry {
  /** The account to pick first (POST …/account), when the type has several. */
  account_id?: string;
  query: Record<string, unknown>;
  /** What next_page answers after that query. */
  nextPage: 'rows' | 'no_next_page';
  /** For the types with the `report` capability: a unified report body that answers rows. */
  report?: Record<string, unknown>;
  /**
   * An execute that works, or, for a type without execute operations, the 400 it answers instead. `accepted`:
   * it answers 202 because the platform finishes it later (message publish_status follows it).
   */
  execute: { operation: string; params: Record<string, unknown>; accepted?: true } | { none: string };
}

const AD_ACCOUNT = `act_${META_SEED.adAccounts[0].accountId}`;
const PAGE = META_SEED.pages[0].id;
const IG_USER = META_SEED.igUser.id;
/** A client account of the sandbox manager account (reached through it: login-customer-id). */
const GOOGLE_CLIENT = GOOGLE_SEED.customers[1].id;
const GOOGLE_CAMPAIGN = GOOGLE_SEED.campaigns.find((c) => c.customerId === GOOGLE_CLIENT)?.id ?? '';
const TIKTOK_OPEN_ID = '-000aSandboxOpenId0000000000000001';
const X_USER = '1700000000000000001';
/** The EUR advertiser (Europe/Berlin, 50 campaigns): a week of daily campaign rows spans several pages. */
const TIKTOK_ADVERTISER = seedAdvertisers()[0].advertiser_id;
/** The same unified report on every type that answers one (each names its own account). */
const report = (accountId: string) => ({
  account_id: accountId,
  metrics: ['spend', 'impressions', 'clicks', 'cpc'],
  dimensions: ['date', 'campaign'],
  date_preset: 'last_7d',
});

export const SANDBOX_GUIDE: Record<FakeConnectorType, GuideEntry> = {
  meta: {
    account_id: AD_ACCOUNT,
    query: {
      resource: 'insights',
      fields: ['campaign_name', 'impressions', 'clicks', 'spend'],
      level: 'campaign',
      date_preset: 'last_7d',
      time_increment: 1,
      limit: 5,
    },
    nextPage: 'rows',
    report: report(AD_ACCOUNT),
    execute: { operation: 'publish_post', params: { page_id: PAGE, message: 'Hello from the sandbox' } },
  },
  facebook: {
    query: { resource: 'page_insights', page_id: PAGE, metrics: ['page_post_engagements'] },
    // Page and Instagram insights come in one answer.
    nextPage: 'no_next_page',
    execute: { operation: 'publish_post', params: { page_id: PAGE, message: 'Hello from the sandbox' } },
  },
  instagram: {
    query: { resource: 'instagram_insights', ig_user_id: IG_USER, metrics: ['reach'] },
    nextPage: 'no_next_page',
    execute: {
      operation: 'publish_instagram_media',
      params: {
        ig_user_id: IG_USER,
        image_url: 'https://cdn.example.com/a.jpg',
        caption: 'From the sandbox',
      },
    },
  },
  google_ads: {
    account_id: GOOGLE_CLIENT,
    query: {
      gaql:
        'SELECT campaign.id, campaign.name, metrics.clicks, metrics.impressions FROM campaign ' +
        'WHERE segments.date DURING LAST_7_DAYS ORDER BY campaign.id',
    },
    nextPage: 'rows',
    report: report(GOOGLE_CLIENT),
    execute: {
      operation: 'update_campaign_status',
      params: { campaign_id: GOOGLE_CAMPAIGN, status: 'PAUSED' },
    },
  },
  youtube: {
    account_id: GOOGLE_SEED.channel.id,
    query: {
      resource: 'reports',
      metrics: ['views', 'likes'],
      dimensions: ['day'],
      start_date: '2026-01-01',
      end_date: '2026-01-10',
      max_results: 4,
    },
    nextPage: 'rows',
    execute: {
      operation: 'update_video',
      params: { video_id: 'sandboxVid1', title: 'Renamed in the sandbox', category_id: '27' },
    },
  },
  twitter: {
    account_id: X_USER,
    query: { resource: 'tweets', max_results: 5 },
    nextPage: 'rows',
    execute: { operation: 'create_post', params: { text: 'Hello from the sandbox' } },
  },
  linkedin: {
    account_id: '5001',
    query: {
      resource: 'ad_analytics',
      pivot: 'CAMPAIGN',
      time_granularity: 'DAILY',
      start_date: '2026-01-01',
      end_date: '2026-01-07',
    },
    // LinkedIn's ad analytics come in one answer: next_page says there is no next page.
    nextPage: 'no_next_page',
    report: report('5001'),
    execute: { operation: 'create_post', params: { organization_id: '123', text: 'Hello from the sandbox' } },
  },
  tiktok: {
    account_id: TIKTOK_OPEN_ID,
    query: { resource: 'videos', max_count: 5 },
    nextPage: 'rows',
    execute: {
      operation: 'publish_video',
      params: {
        video_url: 'https://cdn.example.com/clips/launch.mp4',
        title: 'From the sandbox',
        privacy_level: 'SELF_ONLY',
      },
      // TikTok processes the post after its init: 202, then message publish_status follows it.
      accepted: true,
    },
  },
  tiktok_ads: {
    account_id: TIKTOK_ADVERTISER,
    query: {
      data_level: 'AUCTION_CAMPAIGN',
      dimensions: ['campaign_id', 'stat_time_day'],
      metrics: ['campaign_name', 'spend', 'impressions', 'clicks'],
      start_date: '2026-11-01',
      end_date: '2026-11-07',
      page_size: 50,
    },
    nextPage: 'rows',
    report: report(TIKTOK_ADVERTISER),
    // The type reads reports only: its execute answers 400 for any operation, saying it has none.
    execute: { none: 'TikTok Ads has no execute operations (any answers 400 saying so)' },
  },
};

/** The execute body of a guide entry, and what follows a 202. */
export function executeLine(execute: GuideEntry['execute']): string {
  if ('none' in execute) return `none: ${execute.none}`;
  const { accepted, ...body } = execute;
  return accepted
    ? `${JSON.stringify(body)}   → 202; then message {"type":"publish_status"}`
    : JSON.stringify(body);
}
