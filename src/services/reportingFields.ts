// The field catalog of unified reports, generated from the canonical vocabulary and each type's mapping:
// what every metric and dimension is, and what it is on each platform.
import {
  BASE_METRICS,
  DERIVED_METRICS,
  DIMENSION_INFO,
  DIMENSIONS,
  METRIC_INFO,
} from '../platforms/reporting/canonical';
import { reporters } from '../platforms/registry/reporters';
import { FamilyReporter } from '../platforms/reporting/types';

const reporterList = () => Object.values(reporters).filter((r): r is FamilyReporter => r !== undefined);

export function reportingFields() {
  const list = reporterList();
  const metrics = [...BASE_METRICS, ...DERIVED_METRICS].map((name) => {
    const info = METRIC_INFO[name];
    const types: Record<string, string> = {};
    for (const { mapping } of list) {
      if (info.from) {
        if (info.from.every((b) => mapping.metrics[b]))
          types[mapping.type] = `computed per row: ${info.description}`;
        continue;
      }
      const m = mapping.metrics[name as (typeof BASE_METRICS)[number]];
      if (m) types[mapping.type] = m.scale === 'micros' ? `${m.field} ÷ 1e6` : m.field;
    }
    return {
      name,
      description: info.description,
      unit: info.unit,
      additive: info.additive,
      ...(info.from ? { derived_from: info.from } : {}),
      types,
    };
  });
  const dimensions = DIMENSIONS.map((name) => ({
    name,
    description: DIMENSION_INFO[name].description,
    columns: DIMENSION_INFO[name].columns,
    types: Object.fromEntries(
      list.flatMap(({ mapping }) =>
        mapping.dimensions[name] ? [[mapping.type, mapping.dimensions[name].field]] : [],
      ),
    ),
  }));
  const types = list.map(({ mapping }) => ({
    type: mapping.type,
    time_zone: mapping.timeZone.source,
    currency: mapping.currencySource,
    restatement_days: mapping.restatement.days,
    restatement: mapping.restatement.note,
    retention_days: mapping.retentionDays,
    limits: mapping.limits,
    default_conversions: mapping.defaultConversions,
    conversions_schema: mapping.conversionsSchema,
  }));
  return { metrics, dimensions, types };
}
