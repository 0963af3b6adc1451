// The platform API versions this process uses, each with its sunset, for /health: a version within 30 days of
// its sunset (or past it) makes the service `degraded`, a warning an operator acts on by changing one setting.
import { sunsetState } from '../catalog/apiVersions';
import { allDefinitions } from '../platforms/registry/definitions';

export interface ApiVersionReport {
  type: string;
  api: string;
  version: string;
  sunset: string | null;
  status: 'ok' | 'sunset_soon' | 'retired';
  /** The setting that names another version. */
  setting: string;
}

export function apiVersionReport(now: number = Date.now()): ApiVersionReport[] {
  return allDefinitions().flatMap((def) =>
    (def.apiVersions ?? []).map((v) => ({
      type: def.type,
      api: v.api,
      version: v.version,
      sunset: v.sunset,
      status: sunsetState(v.sunset, now),
      setting: v.setting,
    })),
  );
}
