import { AxiosError } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from './api.js';
import { DICTIONARIES } from './i18n.js';
import { describeError } from './messages.js';
import {
  NoCredential,
  ceremonyProblem,
  creationOptionsFromJSON,
  credentialJSON,
  credentialToJSON,
  describePasskeyFailure,
  fromBase64url,
  loginWithPasskey,
  parseCreationOptions,
  parseRequestOptions,
  passkeysSupported,
  registerPasskey,
  requestOptionsFromJSON,
  toBase64url,
} from './passkeys.js';

const t = DICTIONARIES.en;
const bytes = (...values) => new Uint8Array(values);
const text = (string) => new TextEncoder().encode(string);
const asArray = (buffer) => [...new Uint8Array(buffer)];

describe('base64url', () => {
  it('encodes the RFC 4648 test vectors, unpadded', () => {
    const vectors = { '': '', f: 'Zg', fo: 'Zm8', foo: 'Zm9v', foob: 'Zm9vYg', fooba: 'Zm9vYmE', foobar: 'Zm9vYmFy' };
    for (const [plain, encoded] of Object.entries(vectors)) {
      expect(toBase64url(text(plain))).toBe(encoded);
      expect(asArray(fromBase64url(encoded))).toEqual([...text(plain)]);
    }
  });

  it('uses the URL-safe alphabet (- and _ for + and /)', () => {
    expect(toBase64url(bytes(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(asArray(fromBase64url('-_-_'))).toEqual([0xfb, 0xff, 0xbf]);
  });

  it('takes an ArrayBuffer, a typed array or a view of part of a buffer', () => {
    const whole = bytes(1, 2, 3, 4, 5);
    expect(toBase64url(whole.buffer)).toBe('AQIDBAU');
    expect(toBase64url(new Uint8Array(whole.buffer, 1, 3))).toBe('AgME');
    expect(toBase64url(new DataView(whole.buffer, 3))).toBe('BAU');
  });

  it('round-trips every byte value, and long inputs', () => {
    const all = new Uint8Array(256 * 300).map((_, i) => i % 256);
    expect(asArray(fromBase64url(toBase64url(all)))).toEqual([...all]);
  });

  it('accepts padding, and refuses what is not base64url', () => {
    expect(asArray(fromBase64url('Zm8='))).toEqual([...text('fo')]);
    for (const bad of ['Zm8+', 'Zm8/', 'Z', 'Zm9vY', 'a b', 42, null, undefined]) {
      expect(() => fromBase64url(bad), String(bad)).toThrow(TypeError);
    }
  });
});

// PublicKeyCredentialCreationOptionsJSON as the server sends it (py_webauthn's form).
const CREATION = {
  rp: { id: 'localhost', name: 'authgate' },
  user: { id: 'AQIDBA', name: 'ann@example.com', displayName: 'ann@example.com' },
  challenge: 'Y2hhbGxlbmdl',
  pubKeyCredParams: [
    { type: 'public-key', alg: -7 },
    { type: 'public-key', alg: -257 },
  ],
  timeout: 60000,
  excludeCredentials: [{ type: 'public-key', id: 'qrrs', transports: ['internal'] }],
  authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  attestation: 'none',
};

const REQUEST = {
  challenge: 'AAEC',
  timeout: 60000,
  rpId: 'localhost',
  allowCredentials: [{ type: 'public-key', id: '_-8' }],
  userVerification: 'required',
};

describe('the options, where the browser has no JSON parser', () => {
  it('turns the creation options’ base64url strings into bytes, and keeps the rest', () => {
    const options = creationOptionsFromJSON(CREATION);
    expect(asArray(options.challenge)).toEqual([...text('challenge')]);
    expect(asArray(options.user.id)).toEqual([1, 2, 3, 4]);
    expect(options.user.name).toBe('ann@example.com');
    expect(asArray(options.excludeCredentials[0].id)).toEqual([0xaa, 0xba, 0xec]);
    expect(options.excludeCredentials[0].transports).toEqual(['internal']);
    expect(options.rp).toEqual(CREATION.rp);
    expect(options.authenticatorSelection).toEqual(CREATION.authenticatorSelection);
    expect(options.pubKeyCredParams).toEqual(CREATION.pubKeyCredParams);
    expect(CREATION.challenge).toBe('Y2hhbGxlbmdl'); // the JSON is left as it was
  });

  it('leaves out lists the server did not send', () => {
    const { excludeCredentials, ...bare } = CREATION;
    expect('excludeCredentials' in creationOptionsFromJSON(bare)).toBe(false);
    expect(excludeCredentials).toHaveLength(1);
  });

  it('turns the request options’ challenge and allowed ids into bytes', () => {
    const options = requestOptionsFromJSON(REQUEST);
    expect(asArray(options.challenge)).toEqual([0, 1, 2]);
    expect(asArray(options.allowCredentials[0].id)).toEqual([0xff, 0xef]);
    expect(options.rpId).toBe('localhost');
    expect(options.userVerification).toBe('required');
    expect(asArray(requestOptionsFromJSON({ ...REQUEST, allowCredentials: [] }).challenge)).toEqual([0, 1, 2]);
  });

  it('refuses options with a challenge that is not base64url', () => {
    expect(() => requestOptionsFromJSON({ ...REQUEST, challenge: 'not base64!' })).toThrow(TypeError);
  });

  it('prefers the browser’s own parsers where it has them', () => {
    const PKC = {
      parseCreationOptionsFromJSON: vi.fn(() => 'browser creation'),
      parseRequestOptionsFromJSON: vi.fn(() => 'browser request'),
    };
    expect(parseCreationOptions(CREATION, PKC)).toBe('browser creation');
    expect(parseRequestOptions(REQUEST, PKC)).toBe('browser request');
    expect(PKC.parseCreationOptionsFromJSON).toHaveBeenCalledWith(CREATION);
    expect(asArray(parseCreationOptions(CREATION, {}).challenge)).toEqual([...text('challenge')]);
    expect(asArray(parseRequestOptions(REQUEST, undefined).challenge)).toEqual([0, 1, 2]);
  });
});

/** A credential of navigator.credentials.create as an older browser gives it (no toJSON). */
function attestationCredential() {
  return {
    id: 'AQID',
    rawId: bytes(1, 2, 3).buffer,
    type: 'public-key',
    authenticatorAttachment: 'platform',
    getClientExtensionResults: () => ({ credProps: { rk: true } }),
    response: {
      clientDataJSON: text('{"type":"webauthn.create"}').buffer,
      attestationObject: bytes(0xa3, 0x63).buffer,
      getTransports: () => ['internal', 'hybrid'],
      getPublicKeyAlgorithm: () => -7,
      getPublicKey: () => bytes(0x30, 0x59).buffer,
      getAuthenticatorData: () => bytes(0x49, 0x96).buffer,
    },
  };
}

function assertionCredential(userHandle = bytes(9, 9).buffer) {
  return {
    id: 'BAUG',
    rawId: bytes(4, 5, 6).buffer,
    type: 'public-key',
    authenticatorAttachment: null,
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: text('{"type":"webauthn.get"}').buffer,
      authenticatorData: bytes(1).buffer,
      signature: bytes(0x30, 0x45, 0x02).buffer,
      userHandle,
    },
  };
}

describe('credentials as JSON, where the browser has no toJSON', () => {
  it('writes a new credential as RegistrationResponseJSON', () => {
    expect(credentialToJSON(attestationCredential())).toEqual({
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: toBase64url(text('{"type":"webauthn.create"}')),
        attestationObject: 'o2M',
        transports: ['internal', 'hybrid'],
        publicKeyAlgorithm: -7,
        publicKey: 'MFk',
        authenticatorData: 'SZY',
      },
    });
  });

  it('leaves out what an older browser cannot tell (getters missing or throwing)', () => {
    const credential = attestationCredential();
    delete credential.response.getTransports;
    delete credential.response.getPublicKeyAlgorithm;
    credential.response.getPublicKey = () => null; // an algorithm the browser does not know
    credential.response.getAuthenticatorData = () => {
      throw new Error('not supported');
    };
    delete credential.getClientExtensionResults;
    const json = credentialToJSON(credential);
    expect(json.response).toEqual({ clientDataJSON: json.response.clientDataJSON, attestationObject: 'o2M', transports: [] });
    expect(json.clientExtensionResults).toEqual({});
  });

  it('writes an assertion as AuthenticationResponseJSON, userHandle null when absent', () => {
    expect(credentialToJSON(assertionCredential())).toEqual({
      id: 'BAUG',
      rawId: 'BAUG',
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: toBase64url(text('{"type":"webauthn.get"}')),
        authenticatorData: 'AQ',
        signature: 'MEUC',
        userHandle: 'CQk',
      },
    });
    expect(credentialToJSON(assertionCredential(null)).response.userHandle).toBeNull();
  });

  it('prefers the credential’s own toJSON()', () => {
    const credential = { ...assertionCredential(), toJSON: () => ({ from: 'browser' }) };
    expect(credentialJSON(credential)).toEqual({ from: 'browser' });
    expect(credentialJSON(assertionCredential()).id).toBe('BAUG');
  });
});

describe('passkeysSupported', () => {
  it('needs PublicKeyCredential, navigator.credentials and a secure context', () => {
    const credentials = { create() {}, get() {} };
    expect(passkeysSupported({ PublicKeyCredential: {}, navigator: { credentials }, isSecureContext: true })).toBe(true);
    expect(passkeysSupported({ navigator: { credentials }, isSecureContext: true })).toBe(false);
    expect(passkeysSupported({ PublicKeyCredential: {}, navigator: {}, isSecureContext: true })).toBe(false);
    expect(passkeysSupported({ PublicKeyCredential: {}, navigator: { credentials }, isSecureContext: false })).toBe(false);
  });
});

// -- the ceremonies against a fake authgate -------------------------------------------

const NEW_PASSKEY = { id: 'pk-1', name: 'Work laptop', created_at: '2026-12-03T07:00:00Z', last_used_at: null };

function fakeServer() {
  const sent = [];
  async function adapter(config) {
    const body = config.data ? JSON.parse(config.data) : undefined;
    sent.push({ method: config.method, url: config.url, params: config.params, body, csrf: config.headers.get('X-CSRF-Token') });
    const reply = (status, data) => {
      const response = { status, statusText: '', data, headers: {}, config };
      if (status < 400) return response;
      throw new AxiosError(`HTTP ${status}`, 'ERR_BAD_REQUEST', config, null, response);
    };
    switch (config.url) {
      case '/auth/passkeys/register/options':
        return reply(200, CREATION);
      case '/auth/passkeys/register':
        return reply(201, { ...NEW_PASSKEY, name: body.name ?? 'Passkey' });
      case '/auth/passkeys/login/options':
        return reply(200, { options: REQUEST, flow: 'flow-1' });
      case '/auth/passkeys/login':
        return body.credential.id === 'BAUG'
          ? reply(200, { token_type: 'bearer', expires_in: 900 })
          : reply(401, { code: 'passkey_invalid', detail: 'This passkey is not valid' });
      default:
        return reply(404, { code: 'not_found', detail: '' });
    }
  }
  const lost = [];
  const api = createClient({ adapter, csrf: () => 'csrf-1', lock: (_n, task) => task(), onSessionLost: (r) => lost.push(r) });
  return { api, sent, lost };
}

describe('registerPasskey', () => {
  it('asks for options, runs the ceremony with them, and sends the credential with its name', async () => {
    const { api, sent } = fakeServer();
    const credentials = { create: vi.fn(async () => attestationCredential()) };
    const run = vi.fn((action) => action());
    const created = await registerPasskey(api, '  Work laptop ', { run, credentials, PKC: {} });
    expect(created).toEqual(NEW_PASSKEY);
    expect(sent.map((r) => [r.method, r.url])).toEqual([
      ['post', '/auth/passkeys/register/options'],
      ['post', '/auth/passkeys/register'],
    ]);
    expect(sent.every((r) => r.csrf === 'csrf-1')).toBe(true);
    expect(run).toHaveBeenCalledTimes(1); // only the options need a recent sign-in
    const { publicKey } = credentials.create.mock.calls[0][0];
    expect(asArray(publicKey.challenge)).toEqual([...text('challenge')]);
    expect(sent[1].body.name).toBe('Work laptop');
    expect(sent[1].body.credential).toEqual(credentialToJSON(attestationCredential()));
  });

  it('sends no name when none was typed (the server names it)', async () => {
    const { api, sent } = fakeServer();
    const credentials = { create: async () => attestationCredential() };
    await registerPasskey(api, '   ', { credentials, PKC: {} });
    expect(sent[1].body).not.toHaveProperty('name');
  });

  it('sends nothing after a cancelled ceremony', async () => {
    const { api, sent } = fakeServer();
    const cancelled = new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
    const credentials = { create: async () => Promise.reject(cancelled) };
    await expect(registerPasskey(api, 'x', { credentials, PKC: {} })).rejects.toBe(cancelled);
    expect(sent.map((r) => r.url)).toEqual(['/auth/passkeys/register/options']);
    await expect(registerPasskey(api, 'x', { credentials: { create: async () => null }, PKC: {} })).rejects.toBeInstanceOf(
      NoCredential,
    );
  });
});

describe('loginWithPasskey', () => {
  it('passwordless: empty options body, then the assertion with its flow, in cookies', async () => {
    const { api, sent } = fakeServer();
    const credentials = { get: vi.fn(async () => assertionCredential()) };
    await loginWithPasskey(api, { credentials, PKC: {} });
    expect(sent[0]).toMatchObject({ url: '/auth/passkeys/login/options', body: {} });
    expect(asArray(credentials.get.mock.calls[0][0].publicKey.challenge)).toEqual([0, 1, 2]);
    expect(sent[1]).toMatchObject({
      url: '/auth/passkeys/login',
      params: { transport: 'cookie' },
      body: { flow: 'flow-1', credential: credentialToJSON(assertionCredential()) },
    });
  });

  it('second step: the options are asked for with the mfa token', async () => {
    const { api, sent } = fakeServer();
    await loginWithPasskey(api, { mfaToken: 'mfa-1', credentials: { get: async () => assertionCredential() }, PKC: {} });
    expect(sent[0].body).toEqual({ mfa_token: 'mfa-1' });
  });

  it('a refused passkey is the caller’s to show, and does not end a session', async () => {
    const { api, lost } = fakeServer();
    const other = { ...assertionCredential(), id: 'other' };
    const failure = await loginWithPasskey(api, { credentials: { get: async () => other }, PKC: {} }).catch((e) => e);
    expect(failure.response.status).toBe(401);
    expect(describePasskeyFailure(failure, t)).toEqual({ text: 'This passkey is not valid', calm: false });
    expect(lost).toEqual([]);
  });
});

describe('what a failure says', () => {
  const dom = (name) => new DOMException('message', name);
  const answer = (status, data) => ({ isAxiosError: true, response: { status, data, headers: {} } });

  it('tells the browser’s exceptions apart', () => {
    expect(ceremonyProblem(dom('NotAllowedError'))).toBe('cancelled');
    expect(ceremonyProblem(dom('AbortError'))).toBe('cancelled');
    expect(ceremonyProblem(new NoCredential())).toBe('cancelled');
    expect(ceremonyProblem(dom('InvalidStateError'))).toBe('exists');
    expect(ceremonyProblem(dom('SecurityError'))).toBe('wrong_site');
    expect(ceremonyProblem(dom('NotSupportedError'))).toBe('unsupported');
    expect(ceremonyProblem(answer(401, { code: 'passkey_invalid' }))).toBeNull();
  });

  it('a cancelled ceremony is calm; the others are errors', () => {
    expect(describePasskeyFailure(dom('NotAllowedError'), t)).toEqual({ text: t.passkeyCancelled, calm: true });
    expect(describePasskeyFailure(dom('InvalidStateError'), t)).toEqual({ text: t.errors.passkeyExists, calm: false });
    expect(describePasskeyFailure(dom('SecurityError'), t).text).toBe(t.errors.passkeyWrongSite);
  });

  it('passkey_invalid shows the server’s words, else the page’s', () => {
    expect(describePasskeyFailure(answer(400, { code: 'passkey_invalid', detail: 'Bad attestation' }), t).text).toBe(
      'Bad attestation',
    );
    expect(describePasskeyFailure(answer(401, { code: 'passkey_invalid' }), t).text).toBe(t.errors.passkey_invalid);
    expect(describeError(answer(401, { code: 'passkey_invalid', detail: 'No' }), t)).toBe('No');
  });

  it('a bad name, a passkey gone, a network failure, options the browser refused', () => {
    expect(describePasskeyFailure(answer(422, { code: 'validation_error' }), t).text).toBe(t.errors.badPasskeyName);
    expect(describePasskeyFailure(answer(404, { code: 'not_found' }), t).text).toBe(t.errors.passkeyGone);
    expect(describePasskeyFailure({ isAxiosError: true, message: 'Network Error' }, t).text).toBe(t.errors.network);
    expect(describePasskeyFailure(new TypeError('bad challenge'), t).text).toBe(t.errors.unknown('bad challenge'));
  });

  it('has every passkey word in Korean too', () => {
    const ko = DICTIONARIES.ko;
    for (const key of Object.keys(t).filter((k) => /passkey/i.test(k))) expect(ko[key], key).toBeTruthy();
    for (const key of Object.keys(t.errors).filter((k) => /passkey/i.test(k))) expect(ko.errors[key], key).toBeTruthy();
    expect(ko.signInWithPasskey).toBe('패스키로 로그인');
  });
});
