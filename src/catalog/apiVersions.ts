// Platform API versions as data: which version a type's calls use (its definition's default, or the setting
// that names another), the URLs that carry it, and when the platform retires it. One bump is one setting.
import { ApiVersionInUse, ConnectorDefinition, Endpoints, VersionedApi } from './types';

/** A path segment that is a version: v25.0, v26, 2 (X), v1.3 (TikTok for Business). */
const VERSION_SEGMENT = /^v?\d+(\.\d+)?$/;

/** The version a URL names (its first version-like path segment), if any. */
export function versionOf(url: string): string | undefined {
  return new URL(url).pathname.split('/').find((s) => VERSION_SEGMENT.test(s));
}

/**
 * The URL with `version` in place of the version it names; a URL that names none gets the version appended to
 * its path (an API base given without one). This is how every family builds a versioned base URL.
 */
export function withVersion(url: string, version: string): string {
  const u = new URL(url);
  const segments = u.pathname.split('/').filter((s) => s !== '');
  const at = segments.findIndex((s) => VERSION_SEGMENT.test(s));
  if (at >= 0) segments[at] = version;
  else segments.push(version);
  const trailing = u.pathname.length > 1 && u.pathname.endsWith('/') ? '/' : '';
  return `${u.origin}/${segments.join('/')}${trailing}${u.search}`;
}

function inUse(api: VersionedApi, version: string): ApiVersionInUse {
  return { api: api.api, version, sunset: api.sunsets[version] ?? null, setting: api.setting };
}

/**
 * A definition (whose endpoint URLs already carry any CONNECTOR_<TYPE>_*_URL override) with its API versions
 * resolved from the settings: endpoints rewritten to the version in effect, and `apiVersions` filled in.
 * Without a version setting, a path-carried API uses the version its (possibly overridden) URL names.
 */
export function resolveApiVersions(def: ConnectorDefinition, env: NodeJS.ProcessEnv): ConnectorDefinition {
  const endpoints: Endpoints = { ...def.endpoints };
  const apiVersions = def.apis.map((api): ApiVersionInUse => {
    const named =
      env[api.setting]?.trim() || (api.legacySetting ? env[api.legacySetting]?.trim() : undefined);
    if ('header' in api.carrier) return inUse(api, named || api.version);
    const [base, ...others] = api.carrier.endpoints;
    const from = api.carrier.from ? endpoints[api.carrier.from] : undefined;
    const current = from ? undefined : endpoints[base] && versionOf(endpoints[base]);
    const version = named || current || api.version;
    const baseUrl = from ?? endpoints[base];
    if (baseUrl) endpoints[base] = withVersion(baseUrl, version);
    // OAuth URLs that name a version follow it (Meta's dialog and token endpoint); unversioned ones stay.
    for (const name of others) {
      const url = endpoints[name];
      if (url && versionOf(url)) endpoints[name] = withVersion(url, version);
    }
    return inUse(api, version);
  });
  return { ...def, endpoints, apiVersions };
}

/** The version of one of a type's APIs in effect (the registry's resolution, else the definition's default). */
export function apiVersion(def: ConnectorDefinition, api: string): string {
  const resolved = def.apiVersions?.find((v) => v.api === api)?.version;
  const declared = def.apis.find((a) => a.api === api)?.version;
  if (!resolved && !declared) throw new Error(`${def.type} declares no API named ${api}`);
  return (resolved ?? declared) as string;
}

/** A version within this many days of its sunset is reported `sunset_soon`. */
export const SUNSET_WARNING_DAYS = 30;

/** How close a version is to its retirement (the start of its sunset day, UTC). */
export function sunsetState(sunset: string | null, now: number): 'ok' | 'sunset_soon' | 'retired' {
  if (!sunset) return 'ok';
  const left = Date.parse(`${sunset}T00:00:00Z`) - now;
  if (left <= 0) return 'retired';
  return left <= SUNSET_WARNING_DAYS * 86_400_000 ? 'sunset_soon' : 'ok';
}
