// An Express app that signs its users in through authgate with openid-client:
// discovery, the authorization code flow with PKCE (S256) and a nonce, the ID token
// checked by the library (signature from the JWKS, iss, aud, exp, nonce), userinfo.
//
//   AUTHGATE_ISSUER=http://127.0.0.1:8000 CLIENT_ID=… CLIENT_SECRET=… node server.js
//
// Each browser's pending sign-in, then its user, is kept in memory under a random
// cookie: a demo, not a session store.

import { randomBytes } from 'node:crypto';
import express from 'express';
import * as client from 'openid-client';

const issuer = (process.env.AUTHGATE_ISSUER ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET || undefined;
const port = Number(process.env.PORT ?? 3000);
const redirectUri = process.env.REDIRECT_URI ?? `http://127.0.0.1:${port}/callback`;
const COOKIE = 'rp_session';

if (!clientId) {
  console.error('error: set CLIENT_ID (authgate client create …)');
  process.exit(2);
}

// http is only for a local authgate (authgate itself allows it on loopback only).
const insecure = new URL(issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {};
const config = await client.discovery(
  new URL(issuer),
  clientId,
  clientSecret,
  clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(),
  insecure,
);

const browsers = new Map(); // cookie value -> { pending } | { user }

function cookieOf(req) {
  const match = (req.headers.cookie ?? '').match(new RegExp(`(?:^|; )${COOKIE}=([^;]+)`));
  return match ? match[1] : '';
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const app = express();

app.get('/healthz', (req, res) => res.type('text').send('ok'));

app.get('/', (req, res) => {
  const user = browsers.get(cookieOf(req))?.user;
  if (!user) {
    res.type('html').send('<h1>Example app</h1><p><a href="/login">Sign in with authgate</a></p>');
    return;
  }
  res
    .type('html')
    .send(`<h1>Example app</h1><p>Signed in as ${escape(user.email)}</p><pre>${escape(JSON.stringify(user, null, 2))}</pre>`);
});

app.get('/login', async (req, res) => {
  const verifier = client.randomPKCECodeVerifier();
  const pending = { verifier, state: client.randomState(), nonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  const key = randomBytes(24).toString('base64url');
  browsers.set(key, { pending });
  res.cookie(COOKIE, key, { httpOnly: true, sameSite: 'lax' });
  res.redirect(url.href);
});

app.get('/callback', async (req, res) => {
  const key = cookieOf(req);
  const pending = browsers.get(key)?.pending;
  if (!pending) {
    res.status(400).type('text').send('unexpected callback');
    return;
  }
  try {
    const current = new URL(req.originalUrl, redirectUri);
    const tokens = await client.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    browsers.set(key, { user: { ...info, amr: claims.amr, auth_time: claims.auth_time } });
    res.redirect('/');
  } catch (error) {
    res.status(403).type('text').send(`sign-in refused: ${error.message}`);
  }
});

app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
