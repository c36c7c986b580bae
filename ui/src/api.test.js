// The client's auth rules against a fake authgate: the network is an axios adapter,
// the cookie jar is shared state, the cross-tab lock a promise chain.
import { AxiosError } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import { createClient, readCookie, readCsrf } from './api.js';

/** A fake server with one browser's cookie jar: the access cookie and the csrf cookie. */
function fakeServer({ refreshWorks = true } = {}) {
  const jar = { access: false, csrf: 'csrf-1', refreshToken: 1 };
  const log = { refreshes: 0, requests: [] };
  const held = new Map(); // url -> promise: the answer is decided at once, sent when it resolves
  const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

  async function adapter(config) {
    const answer = (status, data) => {
      const response = { status, statusText: String(status), data, headers: {}, config };
      if (status < 400) return response;
      throw new AxiosError(`HTTP ${status}`, 'ERR_BAD_REQUEST', config, null, response);
    };
    const csrfHeader = config.headers.get('X-CSRF-Token') ?? null;
    log.requests.push({ method: config.method, url: config.url, csrfHeader });
    await tick();
    if (config.url === '/auth/refresh') {
      log.refreshes += 1;
      if (!refreshWorks) return answer(401, { code: 'refresh_invalid', detail: '' });
      if (csrfHeader !== jar.csrf) return answer(403, { code: 'csrf_failed', detail: '' });
      // A second use of the same refresh token: the fake counts it as reuse.
      if (log.refreshes > jar.refreshToken) return answer(401, { code: 'refresh_reused', detail: '' });
      await tick();
      jar.refreshToken += 1;
      jar.access = true;
      jar.csrf = `csrf-${jar.refreshToken}`;
      return answer(200, { token_type: 'bearer', expires_in: 2 });
    }
    const authorised = jar.access;
    await held.get(config.url);
    if (!authorised) return answer(401, { code: 'token_missing', detail: '' });
    return answer(200, { ok: config.url });
  }
  return { jar, log, held, adapter, csrf: () => jar.csrf };
}

function mutex() {
  let tail = Promise.resolve();
  return (_name, task) => {
    const run = tail.then(task);
    tail = run.catch(() => {});
    return run;
  };
}

const noLock = (_name, task) => task();

describe('readCookie', () => {
  it('finds a cookie among others and decodes it', () => {
    expect(readCookie('csrf_token', 'a=1; csrf_token=x%3Dy; b=2')).toBe('x=y');
    expect(readCookie('csrf_token', 'xcsrf_token=1')).toBeNull();
  });
});

describe('readCsrf', () => {
  it('reads the prefixed cookie of a Secure server, else the plain-http one', () => {
    expect(readCsrf('a=1; __Host-csrf_token=secure; b=2')).toBe('secure');
    expect(readCsrf('csrf_token=plain')).toBe('plain');
    expect(readCsrf('csrf_token=planted; __Host-csrf_token=real')).toBe('real');
    expect(readCsrf('__Secure-csrf_token=x; x__Host-csrf_token=y')).toBeNull();
  });
});

describe('the request interceptor', () => {
  it('echoes the csrf cookie, read at request time, on unsafe methods only', async () => {
    const server = fakeServer();
    server.jar.access = true;
    const api = createClient({ adapter: server.adapter, csrf: server.csrf, lock: noLock });
    await api.post('/plans', { title: 'a' });
    server.jar.csrf = 'renewed';
    await api.delete('/plans/1');
    await api.get('/plans');
    expect(server.log.requests.map((r) => r.csrfHeader)).toEqual(['csrf-1', 'renewed', null]);
  });
});

describe('the response interceptor', () => {
  it('refreshes once for ten requests failing together, and retries each', async () => {
    const server = fakeServer();
    const lost = [];
    const api = createClient({
      adapter: server.adapter,
      csrf: server.csrf,
      lock: mutex(),
      onSessionLost: (reason) => lost.push(reason),
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.get(`/plans/${i}`)),
    );
    expect(answers.map((a) => a.data.ok)).toEqual(Array.from({ length: 10 }, (_, i) => `/plans/${i}`));
    expect(server.log.refreshes).toBe(1);
    expect(lost).toEqual([]);
  });

  it('does not refresh again for a 401 to a request sent before the last refresh', async () => {
    const server = fakeServer();
    let release;
    server.held.set('/slow', new Promise((resolve) => (release = resolve)));
    const api = createClient({ adapter: server.adapter, csrf: server.csrf, lock: mutex() });
    const slow = api.get('/slow'); // sent now, without access; its 401 comes back late
    await vi.waitFor(() => expect(server.log.requests.map((r) => r.url)).toContain('/slow'));
    await api.get('/plans'); // fails and refreshes meanwhile
    expect(server.log.refreshes).toBe(1);
    server.held.delete('/slow');
    release();
    expect((await slow).data.ok).toBe('/slow');
    expect(server.log.refreshes).toBe(1);
  });

  it('lets two tabs sharing the cookies refresh only once with the cross-tab lock', async () => {
    const server = fakeServer();
    const lock = mutex();
    const lost = [];
    const onSessionLost = (reason) => lost.push(reason);
    const tabs = [1, 2].map(() =>
      createClient({ adapter: server.adapter, csrf: server.csrf, lock, onSessionLost }),
    );
    await Promise.all(tabs.map((api) => api.get('/plans')));
    expect(server.log.refreshes).toBe(1);
    expect(lost).toEqual([]);
  });

  it('would lose the session without the lock (the race the lock prevents)', async () => {
    const server = fakeServer();
    const lost = [];
    const onSessionLost = (reason) => lost.push(reason);
    const tabs = [1, 2].map(() =>
      createClient({ adapter: server.adapter, csrf: server.csrf, lock: noLock, onSessionLost }),
    );
    const results = await Promise.allSettled(tabs.map((api) => api.get('/plans')));
    expect(server.log.refreshes).toBe(2);
    expect(results.map((r) => r.status)).toContain('rejected');
    expect(lost.length).toBeGreaterThan(0);
  });

  it('reports a failed refresh once and rejects every waiting request', async () => {
    const server = fakeServer({ refreshWorks: false });
    const lost = [];
    const api = createClient({
      adapter: server.adapter,
      csrf: server.csrf,
      lock: mutex(),
      onSessionLost: (reason) => lost.push(reason),
    });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => api.get('/plans')),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(server.log.refreshes).toBe(1);
    expect(lost).toEqual(['refresh_invalid']);
  });

  it('does not refresh for a revoked token, and reports the session lost', async () => {
    const lost = [];
    const adapter = async (config) => {
      const response = { status: 401, statusText: '', data: { code: 'token_revoked' }, headers: {}, config };
      throw new AxiosError('401', 'ERR_BAD_REQUEST', config, null, response);
    };
    const api = createClient({ adapter, csrf: () => 'c', lock: noLock, onSessionLost: (r) => lost.push(r) });
    await expect(api.get('/plans')).rejects.toThrow();
    expect(lost).toEqual(['token_revoked']);
  });

  it('leaves a wrong password at sign-in to the page', async () => {
    const server = fakeServer();
    const lost = [];
    const adapter = async (config) => {
      const response = { status: 401, statusText: '', data: { code: 'invalid_credentials' }, headers: {}, config };
      throw new AxiosError('401', 'ERR_BAD_REQUEST', config, null, response);
    };
    const api = createClient({ adapter, csrf: server.csrf, lock: noLock, onSessionLost: (r) => lost.push(r) });
    const failure = await api.post('/auth/login', {}, { isSignIn: true }).catch((e) => e);
    expect(failure.response.data.code).toBe('invalid_credentials');
    expect(lost).toEqual([]);
  });

  it('does not try to refresh without a session cookie', async () => {
    const server = fakeServer();
    const lost = [];
    const api = createClient({ adapter: server.adapter, csrf: () => null, lock: noLock, onSessionLost: (r) => lost.push(r) });
    await expect(api.get('/auth/me')).rejects.toThrow();
    expect(server.log.refreshes).toBe(0);
    expect(lost).toEqual([null]);
  });
});
