package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// refetchInterval bounds how often an unknown kid makes the key set be fetched
// again: forged kids cannot turn this service into a fetch storm.
const refetchInterval = 30 * time.Second

// KeySet holds the public keys of an authgate JWKS URL, by kid, each bound to
// the algorithm it is published for.
type KeySet struct {
	url     string
	client  *http.Client
	mu      sync.Mutex
	keys    map[string]publicKey
	fetched time.Time
}

type publicKey struct {
	alg string
	key interface{}
}

type jwk struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func NewKeySet(url string) *KeySet {
	return &KeySet{url: url, client: &http.Client{Timeout: 5 * time.Second}, keys: map[string]publicKey{}}
}

// Keyfunc gives golang-jwt the key named by the token's kid, refusing a key
// published for another algorithm than the token's.
func (s *KeySet) Keyfunc(token *jwt.Token) (interface{}, error) {
	kid, _ := token.Header["kid"].(string)
	if kid == "" {
		return nil, errors.New("no kid")
	}
	for _, name := range []string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, present := token.Header[name]; present {
			return nil, fmt.Errorf("header %s refused", name)
		}
	}
	key, err := s.lookup(kid)
	if err != nil {
		return nil, err
	}
	if key.alg != token.Method.Alg() {
		return nil, errors.New("algorithm does not match the key")
	}
	return key.key, nil
}

func (s *KeySet) lookup(kid string) (publicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key, ok := s.keys[kid]; ok {
		return key, nil
	}
	if time.Since(s.fetched) < refetchInterval {
		return publicKey{}, errors.New("unknown kid")
	}
	s.fetched = time.Now()
	if err := s.fetch(); err != nil {
		return publicKey{}, err
	}
	if key, ok := s.keys[kid]; ok {
		return key, nil
	}
	return publicKey{}, errors.New("unknown kid")
}

func (s *KeySet) fetch() error {
	response, err := s.client.Get(s.url)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("JWKS answered %d", response.StatusCode)
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.NewDecoder(response.Body).Decode(&set); err != nil {
		return err
	}
	keys := map[string]publicKey{}
	for _, k := range set.Keys {
		if key, err := k.public(); err == nil && k.Kid != "" && (k.Use == "" || k.Use == "sig") {
			keys[k.Kid] = publicKey{alg: k.Alg, key: key}
		}
	}
	s.keys = keys
	return nil
}

func decode(field string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(field) }

// public turns a JWK into the key type golang-jwt verifies with (RFC 7518 §6, RFC 8037).
func (k jwk) public() (interface{}, error) {
	switch {
	case k.Alg == "EdDSA" && k.Kty == "OKP" && k.Crv == "Ed25519":
		x, err := decode(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	case k.Alg == "ES256" && k.Kty == "EC" && k.Crv == "P-256":
		x, errX := decode(k.X)
		y, errY := decode(k.Y)
		if errX != nil || errY != nil {
			return nil, errors.New("bad P-256 key")
		}
		key := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if !key.Curve.IsOnCurve(key.X, key.Y) {
			return nil, errors.New("point not on P-256")
		}
		return key, nil
	case k.Alg == "RS256" && k.Kty == "RSA":
		n, errN := decode(k.N)
		e, errE := decode(k.E)
		if errN != nil || errE != nil || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	}
	return nil, fmt.Errorf("unsupported key %s/%s", k.Kty, k.Alg)
}
