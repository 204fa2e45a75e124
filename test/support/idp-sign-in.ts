// The browser side of the test IdP (test/support/oidc-idp.ts): no provider, no jose, so a
// headless browser script that loads it starts in a fraction of a second.

/**
 * Signs in at the test IdP the way a browser would, over HTTP with a cookie jar: follows the
 * authorization URL to the sign-in page, submits the username, and returns the URL the IdP
 * redirects back to (the loopback callback; not fetched).
 */
export async function signInOverHttp(authorizationUrl: string, username: string): Promise<string> {
  const cookies = new Map<string, string>();
  const remember = (response: Response) => {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookieHeader = () => [...cookies].map(([key, value]) => `${key}=${value}`).join('; ');
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith('http://127.0.0.1') && !url.startsWith(new URL(authorizationUrl).origin)) return url;
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { cookie: cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    remember(response);
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      method = 'GET';
      body = undefined;
      continue;
    }
    const page = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
    if (!action) throw new Error(`unexpected IdP page (${response.status}): ${page.slice(0, 300)}`);
    url = new URL(action, url).href;
    method = 'POST';
    body = new URLSearchParams({ login: username }).toString();
  }
  throw new Error('the IdP redirected too often');
}
