// The tutorial's Express service, its /plans protected by the `authenticate`
// middleware, verifying authgate's access tokens with nothing but:
//
//   AUTHGATE_SECRET=...    the shared secret: jsonwebtoken, HS256, or
//   AUTHGATE_JWKS_URL=...  the server's /.well-known/jwks.json: jose, EdDSA/ES256/RS256.
//
// AUTHGATE_ISSUER and AUTHGATE_AUDIENCE, when the server sets them, are required
// here too. PORT (default 3000) is where this service listens.
import express from 'express';
import jwt from 'jsonwebtoken';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

const { AUTHGATE_SECRET, AUTHGATE_JWKS_URL, AUTHGATE_ISSUER, AUTHGATE_AUDIENCE } = process.env;
const PORT = Number(process.env.PORT ?? 3000);
const claims = {
  ...(AUTHGATE_ISSUER && { issuer: AUTHGATE_ISSUER }),
  ...(AUTHGATE_AUDIENCE && { audience: AUTHGATE_AUDIENCE }),
};

let verify;
if (AUTHGATE_JWKS_URL) {
  // Fetched on first use, cached, fetched again for an unknown kid (at most every 30 s).
  const keys = createRemoteJWKSet(new URL(AUTHGATE_JWKS_URL));
  verify = async (token) => {
    const options = { ...claims, algorithms: ['EdDSA', 'ES256', 'RS256'], requiredClaims: ['exp', 'sub'] };
    return (await jwtVerify(token, keys, options)).payload;
  };
} else if (AUTHGATE_SECRET) {
  verify = async (token) => {
    const payload = jwt.verify(token, AUTHGATE_SECRET, { ...claims, algorithms: ['HS256'] });
    // jsonwebtoken accepts a token without exp: authgate's always carry one.
    if (typeof payload.exp !== 'number') throw new jwt.JsonWebTokenError('exp missing');
    return payload;
  };
} else {
  console.error('set AUTHGATE_SECRET (HS256) or AUTHGATE_JWKS_URL (EdDSA, ES256, RS256)');
  process.exit(2);
}

function deny(res, code, detail) {
  const challenge = code === 'token_missing'
    ? 'Bearer'
    : `Bearer error="invalid_token", error_description="${detail}"`;
  res.set('WWW-Authenticate', challenge).status(401).json({ detail, code });
}

async function authenticate(req, res, next) {
  const [scheme, token, extra] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !token || extra !== undefined) {
    return deny(res, 'token_missing', 'No token');
  }
  try {
    req.user = await verify(token);
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError || err instanceof errors.JWTExpired) {
      return deny(res, 'token_expired', 'The access token expired');
    }
    if (err instanceof jwt.JsonWebTokenError || err instanceof errors.JOSEError) {
      return deny(res, 'token_invalid', 'The access token is invalid');
    }
    return next(err);
  }
  return next();
}

const plans = new Map(); // user id -> that user's plans (the tutorial keeps them in memory)

const app = express();
app.use(express.json());
app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
app.get('/plans', authenticate, (req, res) => res.json(plans.get(req.user.sub) ?? []));
app.post('/plans', authenticate, (req, res) => {
  const mine = plans.get(req.user.sub) ?? [];
  const plan = { id: mine.length + 1, title: String(req.body?.title ?? ''), done: false };
  plans.set(req.user.sub, [...mine, plan]);
  res.status(201).json(plan);
});

// Anything else (the JWKS unreachable, a body that is not JSON) keeps authgate's shape.
app.use((err, req, res, next) => {
  const status = err.status ?? err.statusCode ?? 503;
  if (status >= 500) console.error(err);
  res.status(status).json(status >= 500
    ? { detail: 'The service is temporarily unavailable', code: 'service_unavailable' }
    : { detail: 'The request is not valid', code: 'validation_error' });
});

app.listen(PORT, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${PORT}`));
