// Where a webhook may point: https only, and never at this service's own network (loopback, private ranges,
// link-local, cloud metadata), judged on the addresses a name resolves to, unless the host is listed in
// WEBHOOK_ALLOW_INSECURE_HOSTS. Checked when a subscription is created and again on every connection a
// delivery opens (the connection uses the very addresses that were checked, so DNS rebinding cannot slip in).
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';

export type AddressClass = 'loopback' | 'private' | 'link-local' | 'metadata' | 'reserved';

const RANGES: [AddressClass, string, number, 'ipv4' | 'ipv6'][] = [
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT (also Alibaba's metadata service)
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', '169.254.0.0', 16, 'ipv4'], // includes 169.254.169.254, the metadata service of AWS, Azure, GCP
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['metadata', '168.63.129.16', 32, 'ipv4'], // Azure's platform endpoint (wire server, DNS, health probes)
  ['metadata', 'fd00:ec2::', 32, 'ipv6'],
  ['reserved', '0.0.0.0', 8, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['reserved', '224.0.0.0', 4, 'ipv4'], // multicast
  ['reserved', '240.0.0.0', 4, 'ipv4'], // reserved and broadcast
  ['reserved', '::', 96, 'ipv6'], // unspecified and IPv4-compatible
  ['reserved', '64:ff9b::', 96, 'ipv6'], // NAT64
  ['reserved', '64:ff9b:1::', 48, 'ipv6'],
  ['reserved', '2002::', 16, 'ipv6'], // 6to4, which embeds an IPv4 address
  ['reserved', '2001::', 32, 'ipv6'], // Teredo
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['reserved', 'fec0::', 10, 'ipv6'],
  ['reserved', 'ff00::', 8, 'ipv6'], // multicast
];

// An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is checked against the IPv4 ranges by BlockList itself.
const lists = new Map<AddressClass, BlockList>();
for (const [cls, network, prefix, family] of RANGES) {
  let list = lists.get(cls);
  if (!list) lists.set(cls, (list = new BlockList()));
  list.addSubnet(network, prefix, family);
}

/** The class of a non-public address, or undefined for a public one. */
export function classOfAddress(address: string): AddressClass | undefined {
  const version = isIP(address);
  if (version === 0) return 'reserved';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  // Metadata first: those are the public-looking addresses that belong to the cloud platform.
  for (const cls of ['metadata', 'loopback', 'link-local', 'private', 'reserved'] as const) {
    if (lists.get(cls)?.check(address, family)) return cls;
  }
  return undefined;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (injectable, so tests need no real DNS). */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A URL or an address the policy refuses; `reason` is safe to show to the client. */
export class RefusedUrlError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RefusedUrlError';
  }
}

export interface AddressPolicy {
  /** Lower-case host names and IPs allowed over http and at non-public addresses. */
  allowInsecureHosts: readonly string[];
  lookup?: HostLookup;
}

/** The URL's host as the policy compares it: lower case, IPv6 brackets removed. */
export const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[|\]$/g, '');

const isListed = (policy: AddressPolicy, hostOrAddress: string) =>
  policy.allowInsecureHosts.includes(hostOrAddress.toLowerCase());

/** Refuses an address of `host` that is not public, unless the host or the address is listed. */
export function checkAddress(policy: AddressPolicy, host: string, address: string): void {
  if (isListed(policy, host) || isListed(policy, address)) return;
  const cls = classOfAddress(address);
  if (cls)
    throw new RefusedUrlError(`The webhook host ${host} resolves to a ${cls} address, which is not allowed.`);
}

/** Parses and checks a webhook URL, resolving its host; the URL, or RefusedUrlError. */
export async function checkWebhookUrl(raw: unknown, policy: AddressPolicy): Promise<URL> {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) {
    throw new RefusedUrlError('url must be an absolute https URL of at most 2048 characters.');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrlError('url is not a valid absolute URL.');
  }
  const host = hostOf(url);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isListed(policy, host))) {
    throw new RefusedUrlError('url must use https (http only for hosts in WEBHOOK_ALLOW_INSECURE_HOSTS).');
  }
  if (url.username || url.password) {
    throw new RefusedUrlError('url must not carry credentials; verify deliveries by their signature.');
  }
  if (isIP(host)) {
    checkAddress(policy, host, host);
    return url;
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await (policy.lookup ?? systemLookup)(host);
  } catch {
    throw new RefusedUrlError(`The webhook host ${host} could not be resolved.`);
  }
  if (addresses.length === 0) throw new RefusedUrlError(`The webhook host ${host} could not be resolved.`);
  for (const { address } of addresses) checkAddress(policy, host, address);
  return url;
}
