import { VerifiedTokenCache } from '../src/auth/verifiedTokenCache';

const principal = (tenantId: string) => ({ tenantId, scopes: [], roles: [] });

describe('the cache of verified tokens', () => {
  it('is keyed by a hash of the token, never the token', () => {
    const key = VerifiedTokenCache.keyOf('header.payload.signature');
    expect(key).not.toContain('payload');
    expect(key).toBe(VerifiedTokenCache.keyOf('header.payload.signature'));
    expect(key).not.toBe(VerifiedTokenCache.keyOf('header.payload.signaturf'));
  });

  it('drops an entry at the token’s expiry', () => {
    const cache = new VerifiedTokenCache();
    cache.set('k', principal('a'), 1000);
    expect(cache.get('k', 999)).toEqual(principal('a'));
    expect(cache.get('k', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded: the oldest entry goes first', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('one', principal('1'), Number.MAX_SAFE_INTEGER);
    cache.set('two', principal('2'), Number.MAX_SAFE_INTEGER);
    cache.set('three', principal('3'), Number.MAX_SAFE_INTEGER);
    expect(cache.size).toBe(2);
    expect(cache.get('one')).toBeUndefined();
    expect(cache.get('three')).toEqual(principal('3'));
  });
});
