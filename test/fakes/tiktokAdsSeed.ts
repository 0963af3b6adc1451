// The seeded advertisers of the TikTok Ads fake and their figures: advertisers in their own currency and time
// zone, campaigns → ad groups → ads, and daily figures per ad from which every level and every range is summed,
// so a report at any level over any range agrees with every other (campaign sums = advertiser totals, a week =
// its days). Reach is not additive: it is de-duplicated the same way whatever is asked.
import { createHash } from 'node:crypto';
import { addDays } from './http';

export type Level = 'advertiser' | 'campaign' | 'adgroup' | 'ad';

export interface SeedAd {
  ad_id: string;
  ad_name: string;
  adgroup_id: string;
  campaign_id: string;
}

export interface SeedAdGroup {
  adgroup_id: string;
  adgroup_name: string;
  campaign_id: string;
  ads: SeedAd[];
}

export interface SeedCampaign {
  campaign_id: string;
  campaign_name: string;
  /** The first day (advertiser-local) the campaign delivered. */
  start_day: string;
  /**
   * Whether the campaign optimizes for a tracked event. Without one (brand campaigns), TikTok writes "-" for
   * its conversion metrics rather than 0. [unconfirmed: our reading of "-" as "not available"]
   */
  conversion_tracking: boolean;
  adgroups: SeedAdGroup[];
}

export interface SeedAdvertiser {
  advertiser_id: string;
  name: string;
  currency: string;
  /** IANA time zone; report days are calendar days in it. */
  timezone: string;
  display_timezone: string;
  status: string;
  campaigns: SeedCampaign[];
}

/** The additive figures of one ad on one day; money in the currency's minor units (cents; yen for JPY). */
export interface DayFigures {
  impressions: number;
  clicks: number;
  spend: number;
  conversion: number;
  complete_payment: number;
  total_complete_payment_rate: number;
  video_play_actions: number;
  video_watched_2s: number;
  video_watched_6s: number;
  reach: number;
}

export const ADDITIVE = [
  'impressions',
  'clicks',
  'spend',
  'conversion',
  'complete_payment',
  'total_complete_payment_rate',
  'video_play_actions',
  'video_watched_2s',
  'video_watched_6s',
] as const;
export type AdditiveMetric = (typeof ADDITIVE)[number];

/** The first day any seeded campaign could deliver. */
export const DATA_START = '2025-06-01';

/** Digits after the decimal point of each seeded currency (ISO 4217 minor units). */
export const CURRENCY_DECIMALS: Record<string, number> = { EUR: 2, USD: 2, JPY: 0 };

const ADVERTISERS = [
  {
    advertiser_id: '7301000000000000001',
    name: 'Supertrack Sandbox EU',
    currency: 'EUR',
    timezone: 'Europe/Berlin',
    display_timezone: 'Central European Time',
    campaigns: 50,
  },
  {
    advertiser_id: '7301000000000000002',
    name: 'Supertrack Sandbox JP',
    currency: 'JPY',
    timezone: 'Asia/Tokyo',
    display_timezone: 'Japan Standard Time',
    campaigns: 12,
  },
  {
    advertiser_id: '7301000000000000003',
    name: 'Supertrack Sandbox US',
    currency: 'USD',
    timezone: 'America/Los_Angeles',
    display_timezone: 'Pacific Time',
    campaigns: 8,
  },
];
const THEMES = ['Prospecting', 'Retargeting', 'Spark Ads', 'Catalog', 'Brand Lift', 'App Installs'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A stable integer in [min, max] from the 4 bytes at `offset` of a digest. */
function pick(d: Buffer, offset: number, min: number, max: number): number {
  return min + (d.readUInt32BE(offset) % (max - min + 1));
}

export function seedAdvertisers(): SeedAdvertiser[] {
  return ADVERTISERS.map((a, advIndex) => {
    const campaigns: SeedCampaign[] = [];
    for (let c = 1; c <= a.campaigns; c++) {
      const base = BigInt(advIndex + 1) * 100_000n + BigInt(c) * 100n;
      const campaignId = (1_800_000_000_000_000_000n + base).toString();
      const adgroups: SeedAdGroup[] = [];
      for (let g = 1; g <= 2; g++) {
        const adgroupId = (1_810_000_000_000_000_000n + base + BigInt(g)).toString();
        const ads: SeedAd[] = [];
        for (let n = 1; n <= 2; n++) {
          ads.push({
            ad_id: (1_820_000_000_000_000_000n + base + BigInt(g * 10 + n)).toString(),
            ad_name: `C${pad(c)} G${g} Ad ${n}`,
            adgroup_id: adgroupId,
            campaign_id: campaignId,
          });
        }
        adgroups.push({
          adgroup_id: adgroupId,
          adgroup_name: `C${pad(c)} Ad group ${g}`,
          campaign_id: campaignId,
          ads,
        });
      }
      const startOffset = pick(digest('start', campaignId), 0, 0, 240);
      campaigns.push({
        campaign_id: campaignId,
        campaign_name: `Campaign ${pad(c)} · ${THEMES[c % THEMES.length]}`,
        start_day: addDays(DATA_START, startOffset),
        conversion_tracking: THEMES[c % THEMES.length] !== 'Brand Lift',
        adgroups,
      });
    }
    return {
      advertiser_id: a.advertiser_id,
      name: a.name,
      currency: a.currency,
      timezone: a.timezone,
      display_timezone: a.display_timezone,
      status: 'STATUS_ENABLE',
      campaigns,
    };
  });
}

/** De-duplicated reach of audiences reached separately: the largest plus 40 % of the rest. */
export function unionReach(values: number[]): number {
  if (values.length === 0) return 0;
  const max = Math.max(...values);
  const sum = values.reduce((s, v) => s + v, 0);
  return max + Math.floor((sum - max) * 0.4);
}

/** Figures of one ad on one day; zero before its campaign started or after `today`. */
export function adDay(
  ad: SeedAd,
  campaign: SeedCampaign,
  currency: string,
  day: string,
  today: string,
): DayFigures {
  const zero = emptyFigures();
  if (day < campaign.start_day || day > today) return zero;
  const d = digest('day', ad.ad_id, day);
  const impressions = pick(d, 0, 300, 6000);
  const clicks = Math.floor((impressions * pick(d, 4, 5, 40)) / 1000);
  // CPM in minor units: 3 to 12 EUR/USD, 400 to 1,500 yen.
  const cpm = currency === 'JPY' ? pick(d, 8, 400, 1500) : pick(d, 8, 300, 1200);
  const spend = Math.floor((impressions * cpm) / 1000);
  const conversion = campaign.conversion_tracking ? Math.floor((clicks * pick(d, 12, 0, 120)) / 1000) : 0;
  const completePayment = Math.floor((conversion * pick(d, 16, 50, 90)) / 100);
  const orderValue = currency === 'JPY' ? pick(d, 20, 2000, 12000) : pick(d, 20, 1500, 9000);
  const plays = Math.floor((impressions * pick(d, 24, 200, 600)) / 1000);
  const watched2s = Math.floor((plays * pick(d, 28, 50, 80)) / 100);
  return {
    impressions,
    clicks,
    spend,
    conversion,
    complete_payment: completePayment,
    total_complete_payment_rate: completePayment * orderValue,
    video_play_actions: plays,
    video_watched_2s: watched2s,
    video_watched_6s: Math.floor(watched2s / 2),
    reach: Math.floor((impressions * pick(d, 12, 600, 900)) / 1000),
  };
}

/** The figures of a set of ads over a set of days: additive ones summed, reach de-duplicated. */
export function aggregate(
  ads: Array<{ ad: SeedAd; campaign: SeedCampaign }>,
  days: string[],
  figuresOf: (ad: SeedAd, campaign: SeedCampaign, day: string) => DayFigures,
): DayFigures {
  const total = emptyFigures();
  const dailyReach: number[] = [];
  for (const day of days) {
    const reaches: number[] = [];
    for (const { ad, campaign } of ads) {
      const f = figuresOf(ad, campaign, day);
      for (const m of ADDITIVE) total[m] += f[m];
      if (f.reach > 0) reaches.push(f.reach);
    }
    const r = unionReach(reaches);
    if (r > 0) dailyReach.push(r);
  }
  total.reach = unionReach(dailyReach);
  return total;
}

export function emptyFigures(): DayFigures {
  return {
    impressions: 0,
    clicks: 0,
    spend: 0,
    conversion: 0,
    complete_payment: 0,
    total_complete_payment_rate: 0,
    video_play_actions: 0,
    video_watched_2s: 0,
    video_watched_6s: 0,
    reach: 0,
  };
}
