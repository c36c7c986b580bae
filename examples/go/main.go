// The tutorial's net/http service, its /plans protected by AuthMiddleware, verifying
// authgate's access tokens with golang-jwt and nothing but:
//
//	AUTHGATE_SECRET=...    the shared secret (HS256), or
//	AUTHGATE_JWKS_URL=...  the server's /.well-known/jwks.json (EdDSA, ES256, RS256).
//
// AUTHGATE_ISSUER and AUTHGATE_AUDIENCE, when the server sets them, are required
// here too. PORT (default 8081) is where this service listens.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/golang-jwt/jwt/v4"
)

type contextKey struct{}

// Verifier checks a token's signature, algorithm and claims.
type Verifier struct {
	keyFunc  jwt.Keyfunc
	parser   *jwt.Parser
	issuer   string
	audience string
}

func newVerifier() (*Verifier, error) {
	v := &Verifier{issuer: os.Getenv("AUTHGATE_ISSUER"), audience: os.Getenv("AUTHGATE_AUDIENCE")}
	if url := os.Getenv("AUTHGATE_JWKS_URL"); url != "" {
		keys := NewKeySet(url)
		v.keyFunc = keys.Keyfunc
		v.parser = jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA", "ES256", "RS256"}))
		return v, nil
	}
	if secret := os.Getenv("AUTHGATE_SECRET"); secret != "" {
		v.keyFunc = func(*jwt.Token) (interface{}, error) { return []byte(secret), nil }
		v.parser = jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}))
		return v, nil
	}
	return nil, errors.New("set AUTHGATE_SECRET (HS256) or AUTHGATE_JWKS_URL (EdDSA, ES256, RS256)")
}

// Verify returns the token's claims, or an error that says whether it expired.
func (v *Verifier) Verify(tokenString string) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	if _, err := v.parser.ParseWithClaims(tokenString, claims, v.keyFunc); err != nil {
		return nil, err
	}
	// golang-jwt v4 accepts a token without exp: authgate's always carry one.
	if _, ok := claims["exp"].(float64); !ok {
		return nil, errors.New("exp missing or not a number")
	}
	if sub, ok := claims["sub"].(string); !ok || sub == "" {
		return nil, errors.New("sub missing")
	}
	if v.issuer != "" && !claims.VerifyIssuer(v.issuer, true) {
		return nil, errors.New("wrong issuer")
	}
	if v.audience != "" && !claims.VerifyAudience(v.audience, true) {
		return nil, errors.New("wrong audience")
	}
	return claims, nil
}

func deny(w http.ResponseWriter, code, detail string) {
	if code == "token_missing" {
		w.Header().Set("WWW-Authenticate", "Bearer")
	} else {
		w.Header().Set("WWW-Authenticate",
			fmt.Sprintf(`Bearer error="invalid_token", error_description="%s"`, detail))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]string{"detail": detail, "code": code})
}

// AuthMiddleware lets a request through only with a valid Bearer token; the
// handler finds the token's claims in the request context.
func AuthMiddleware(v *Verifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
		if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
			deny(w, "token_missing", "No token")
			return
		}
		claims, err := v.Verify(token)
		if errors.Is(err, jwt.ErrTokenExpired) {
			deny(w, "token_expired", "The access token expired")
			return
		}
		if err != nil {
			log.Printf("refused a token: %v", err)
			deny(w, "token_invalid", "The access token is invalid")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, claims)))
	})
}

type plan struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
	Owner string `json:"owner"`
}

func plansHandler(w http.ResponseWriter, r *http.Request) {
	claims := r.Context().Value(contextKey{}).(jwt.MapClaims)
	owner, _ := claims["sub"].(string)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode([]plan{{ID: 1, Title: "Learn JWT", Done: false, Owner: owner}})
}

func main() {
	verifier, err := newVerifier()
	if err != nil {
		log.Fatal(err)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8081"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.Handle("/plans", AuthMiddleware(verifier, http.HandlerFunc(plansHandler)))
	addr := "127.0.0.1:" + port
	log.Printf("listening on http://%s", addr)
	log.Fatal(http.ListenAndServe(addr, mux))
}
