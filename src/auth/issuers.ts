// Which `iss` values a token may carry. Azure AD signs with the same keys for its v1 and v2 endpoints,
// so a token of either form for the token's own tenant is accepted; any other authority must match
// its metadata's issuer exactly.

const AZURE_AD_HOSTS: Record<string, string> = {
  'login.microsoftonline.com': 'https://sts.windows.net',
  'login.microsoftonline.us': 'https://sts.windows.net',
  'login.chinacloudapi.cn': 'https://sts.chinacloudapi.cn',
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export interface IssuerPolicy {
  /** The issuers accepted for a token of tenant `tid`. */
  acceptedIssuers(tid: string | undefined): string[];
  /** The authority's own tenant, when it has one (a tenant-specific Azure AD authority). */
  authorityTenant?: string;
}

export function issuerPolicy(authority: string, metadataIssuer: string): IssuerPolicy {
  const url = new URL(authority);
  const v1Host = AZURE_AD_HOSTS[url.hostname.toLowerCase()];
  const authorityTenant = GUID.exec(metadataIssuer)?.[0]?.toLowerCase();
  const templated = metadataIssuer.includes('{tenantid}');
  if (!v1Host) {
    return { acceptedIssuers: () => [metadataIssuer], authorityTenant };
  }
  return {
    authorityTenant,
    acceptedIssuers: (tid) => {
      if (!tid) return [];
      // A multi-tenant authority's metadata says '{tenantid}'; a tenant-specific one names its tenant.
      if (!templated && authorityTenant && tid.toLowerCase() !== authorityTenant) return [metadataIssuer];
      return [`https://${url.host}/${tid}/v2.0`, `${v1Host}/${tid}/`];
    },
  };
}
