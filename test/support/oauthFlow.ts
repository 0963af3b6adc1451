// Follows an authorization URL like a browser: to the platform fake's consent (auto-approved), then to the
// service's callback, returning where the callback sent the browser.
export interface FlowResult {
  callbackStatus: number;
  /** The Location the callback answered with (302), if any. */
  location?: string;
  callbackBody: string;
  callbackHeaders: Headers;
  /** The callback URL the platform redirected to (carries code and state). */
  callbackUrl: string;
}

export async function followAuthorization(authorizationUrl: string): Promise<FlowResult> {
  const consent = await fetch(authorizationUrl, { redirect: 'manual' });
  const callbackUrl = consent.headers.get('location');
  if (consent.status !== 302 || !callbackUrl) {
    throw new Error(
      `The platform did not redirect (${consent.status}): ${(await consent.text()).slice(0, 300)}`,
    );
  }
  return callCallback(callbackUrl);
}

export async function callCallback(callbackUrl: string): Promise<FlowResult> {
  const res = await fetch(callbackUrl, { redirect: 'manual' });
  return {
    callbackStatus: res.status,
    location: res.headers.get('location') ?? undefined,
    callbackBody: await res.text(),
    callbackHeaders: res.headers,
    callbackUrl,
  };
}
