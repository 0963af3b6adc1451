// The types that answer `report` queries, and each one's reporter. Adding one is its family's report.ts and
// a line here; the catalog lists the `report` capability for exactly these.
import { ConnectorType } from '../../catalog/types';
import { googleAdsReporter } from '../google/report';
import { linkedinReporter } from '../linkedin/report';
import { metaReporter } from '../meta/report';
import { FamilyReporter } from '../reporting/types';
import { tiktokAdsReporter } from '../tiktokAds/report';

export const reporters: Partial<Record<ConnectorType, FamilyReporter>> = {
  meta: metaReporter,
  google_ads: googleAdsReporter,
  linkedin: linkedinReporter,
  tiktok_ads: tiktokAdsReporter,
};

export const reporterOf = (type: ConnectorType): FamilyReporter | undefined => reporters[type];
