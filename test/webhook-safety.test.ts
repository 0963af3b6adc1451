// Where a webhook may point and how an attempt treats the receiver, with host names resolved by an injected
// lookup (no real DNS): refused address classes after resolution, DNS rebinding between subscription and
// delivery, no redirects, and an answer read no further than 64 KiB.
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AddressPolicy,
  checkWebhookUrl,
  classOfAddress,
  HostLookup,
  RefusedUrlError,
} from '../src/webhooks/addressPolicy';
import { attemptDelivery } from '../src/webhooks/sender';

const names: Record<string, string[]> = {
  'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'internal.example': ['10.1.2.3'],
  'loop.example': ['127.0.0.1'],
  'meta.example': ['169.254.169.254'],
  'azure.example': ['168.63.129.16'],
  'cgnat.example': ['100.100.100.200'],
  'ula.example': ['fd12:3456::1'],
  'mixed.example': ['93.184.215.14', '192.168.0.10'],
  'mapped.example': ['::ffff:10.0.0.1'],
};

const lookup: HostLookup = async (hostname) => {
  const found = names[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const strict: AddressPolicy = { allowInsecureHosts: [], lookup };

describe('address classes', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['168.63.129.16', 'metadata'],
    ['0.0.0.0', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', undefined],
    ['93.184.215.14', undefined],
    ['172.32.0.1', undefined],
    ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', undefined],
  ])('%s is %s', (address, cls) => {
    expect(classOfAddress(address)).toBe(cls);
  });
});

describe('checkWebhookUrl', () => {
  it('accepts an https URL whose name resolves only to public addresses', async () => {
    const url = await checkWebhookUrl('https://public.example/hooks?x=1', strict);
    expect(url.toString()).toBe('https://public.example/hooks?x=1');
  });

  it.each([
    ['internal.example', /private/],
    ['loop.example', /loopback/],
    ['meta.example', /link-local/],
    ['azure.example', /metadata/],
    ['cgnat.example', /private/],
    ['ula.example', /private/],
    ['mixed.example', /private/],
    ['mapped.example', /private/],
    ['unknown.example', /could not be resolved/],
  ])('refuses https://%s/ after resolving it', async (host, reason) => {
    await expect(checkWebhookUrl(`https://${host}/hook`, strict)).rejects.toThrow(reason);
  });

  it('takes http and non-public addresses only for listed hosts (by name or by address)', async () => {
    await expect(checkWebhookUrl('http://public.example/', strict)).rejects.toThrow(/https/);
    const byName: AddressPolicy = { allowInsecureHosts: ['internal.example'], lookup };
    expect((await checkWebhookUrl('http://internal.example/h', byName)).host).toBe('internal.example');
    const byAddress: AddressPolicy = { allowInsecureHosts: ['10.1.2.3'], lookup };
    await expect(checkWebhookUrl('https://internal.example/h', byAddress)).resolves.toBeInstanceOf(URL);
    // Listing one address does not open another.
    await expect(checkWebhookUrl('https://10.1.2.4/h', byAddress)).rejects.toBeInstanceOf(RefusedUrlError);
  });
});

async function server(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const s: Server = createServer((req, res) => {
    hits++;
    handler?.(req, res);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      }),
  };
}

describe('attemptDelivery', () => {
  it('checks the address it connects to: a name that now resolves to loopback is refused (DNS rebinding)', async () => {
    const target = await server((_req, res) => res.end('ok'));
    try {
      const port = new URL(target.url).port;
      // At subscription time the name was public; at delivery it points at loopback.
      const rebound: HostLookup = async () => [{ address: '127.0.0.1', family: 4 }];
      const refused = await attemptDelivery(`http://rebind.example:${port}/`, {}, '{}', {
        allowInsecureHosts: [],
        lookup: rebound,
      });
      expect(refused).toEqual({ delivered: false, reason: 'refused_address' });
      expect(target.hits()).toBe(0);
      // The same connection path, with the name listed, reaches the receiver: the check above is what refused.
      const allowed = await attemptDelivery(`http://rebind.example:${port}/`, {}, '{}', {
        allowInsecureHosts: ['rebind.example'],
        lookup: rebound,
      });
      expect(allowed).toEqual({ delivered: true, statusCode: 200 });
      expect(target.hits()).toBe(1);
    } finally {
      await target.close();
    }
  });

  it('refuses a literal non-public address at delivery time', async () => {
    const result = await attemptDelivery('https://10.0.0.1/hook', {}, '{}', strict);
    expect(result).toEqual({ delivered: false, reason: 'refused_address' });
  });

  it('follows no redirect: a 302 is a failed attempt and its target gets nothing', async () => {
    const elsewhere = await server((_req, res) => res.end('ok'));
    const redirecting = await server((_req, res) =>
      res.writeHead(302, { location: `${elsewhere.url}/` }).end(),
    );
    try {
      const result = await attemptDelivery(`${redirecting.url}/hook`, {}, '{}', {
        allowInsecureHosts: ['127.0.0.1'],
      });
      expect(result).toEqual({ delivered: false, statusCode: 302, reason: 'status' });
      expect(elsewhere.hits()).toBe(0);
    } finally {
      await Promise.all([elsewhere.close(), redirecting.close()]);
    }
  });

  it('reads at most 64 KiB of the answer: an endless body does not keep the attempt open', async () => {
    let stopWriting = false;
    const endless = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!stopWriting && res.write(chunk));
        if (!stopWriting) res.once('drain', pump);
      };
      res.on('close', () => (stopWriting = true));
      pump();
    });
    try {
      const result = await attemptDelivery(`${endless.url}/hook`, {}, '{}', {
        allowInsecureHosts: ['127.0.0.1'],
      });
      expect(result).toEqual({ delivered: true, statusCode: 200 });
    } finally {
      stopWriting = true;
      await endless.close();
    }
  });
});
