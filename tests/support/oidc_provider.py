"""A small OpenID Connect provider on a local port, for the console's sign-in tests: discovery,
its JWK set, an authorization endpoint that signs the configured person in at once, and a token
endpoint checking the client's secret and the code. Its ID tokens are signed with a key generated
here (RSA or EC), or forged as a test asks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CLIENT_ID, CLIENT_SECRET = "cascade-console", "console-client-secret"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls, alg: str = "RS256", kid: str | None = None) -> SigningKey:
        private = (
            ec.generate_private_key(ec.SECP256R1())
            if alg == "ES256"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        return cls(kid or secrets.token_hex(4), alg, private)

    def jwk(self) -> dict[str, Any]:
        public = jwt.get_algorithm_by_name(self.alg).to_jwk(self.private.public_key(), as_dict=True)
        public.pop("key_ops", None)  # as providers publish it: `use`, not `key_ops`
        return {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg, headers={"kid": self.kid})

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned(claims: dict[str, Any], kid: str) -> str:
    """A token with `alg: none`."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def hmac_with_public_key(claims: dict[str, Any], key: SigningKey) -> str:
    """A token "signed" HS256 with the provider's public key as the secret (the key-confusion attack)."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(key.public_pem(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


class OidcProvider:
    def __init__(self) -> None:
        self.person: dict[str, Any] = {"sub": "u-42", "preferred_username": "rita", "name": "Rita Moreno"}
        self.claims: dict[str, Any] = {}  # set over the claims every token carries
        self.wrong_nonce = False
        self.algorithms = ["RS256", "ES256"]
        self.key = SigningKey.generate()
        self.signer: Callable[[dict[str, Any]], str] = lambda claims: self.key.sign(claims)
        self.issued: list[str] = []
        self.key_set_reads = 0
        self._codes: dict[str, dict[str, Any]] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    provider.key_set_reads += 1
                    self._json(200, {"keys": [provider.key.jwk()]})
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider._codes[code] = query
                    back = {"code": code, "state": query["state"]}
                    self.send_response(302)
                    self.send_header("Location", f"{query['redirect_uri']}?{urlencode(back)}")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                asked = provider._codes.pop(form.get("code", ""), None)
                if self.headers.get("Authorization") != expected or asked is None:
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(
                    200, {"access_token": "at", "token_type": "Bearer", "id_token": provider.token(asked)}
                )

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "id_token_signing_alg_values_supported": self.algorithms,
        }

    def rotate(self, alg: str = "RS256") -> SigningKey:
        """Sign with a new key of a new id from now on; the old one is no longer published."""
        self.key = SigningKey.generate(alg)
        return self.key

    def token(self, asked: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": "another-sign-in" if self.wrong_nonce else asked["nonce"],
            **self.person,
            **self.claims,
        }
        issued = self.signer(claims)
        self.issued.append(issued)
        return issued

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
