"""The console's settings: where the services are, its own key, sessions, sign-in and OIDC."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from services.console.domain.oidc import SIGNING_ALGORITHMS
from services.console.domain.roles import ROLES
from shared.settings import Settings

ASSETS = Path(__file__).parent / "node_modules"
SERVICES = ("ingest", "matcher", "opportunity", "scoring", "attribution", "outbound")
DEFAULT_URLS = {name: f"http://127.0.0.1:{8001 + n}" for n, name in enumerate(SERVICES)}


class ConsoleSettings(Settings):
    console_api_key: SecretStr | None = Field(
        None,
        description="The console's own key to the services (role `console`): every change it makes names"
        " the signed-in person in X-Cascade-On-Behalf-Of.",
    )
    console_service_urls: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_URLS),
        description="JSON {service: base URL}; services left out keep their embedded-stack address.",
    )
    console_admin_password_file: Path | None = Field(
        None, description="The first admin's password: `admin` is created from it while no user exists."
    )
    console_session_hours: float = Field(12.0, gt=0, description="A session ends this long after sign-in.")
    console_secure_cookies: bool = Field(
        False, description="Mark the session cookie Secure (set it when the console is served over HTTPS)."
    )
    console_sign_in_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins per user name (x4 per address) before sign-in is refused."
    )
    console_sign_in_window_minutes: float = Field(15.0, gt=0, description="The window failures count in.")
    console_prune_seconds: float = Field(
        600.0, ge=0, description="How often expired sessions and old sign-in failures are deleted (0: never)."
    )
    console_page_size: int = Field(
        25, ge=1, le=200, description="Cards per board column, rows per list page."
    )
    console_http_timeout_seconds: float = Field(10.0, gt=0, description="A call to a service gives up after.")
    console_report_cache_seconds: float = Field(
        30.0,
        ge=0,
        description="Reports and pipelines read from the services are reused for this long (0: never):"
        " a report page is at most this old; the board's cards and every other page are read live.",
    )
    console_assets_dir: Path = Field(ASSETS, description="node_modules holding Chart.js (`npm ci`).")
    console_oidc_issuer: str | None = Field(
        None,
        description="OpenID Connect issuer URL, exactly as the issuer names itself (its discovery's"
        " `issuer`, trailing slash and all); sign-in with it is offered when set.",
    )
    console_oidc_client_id: str | None = Field(None, description="The console's client id at the issuer.")
    console_oidc_client_secret: SecretStr | None = Field(None, description="Its client secret.")
    console_oidc_redirect_url: str | None = Field(
        None,
        description="The console's callback as the issuer knows it: https://<console>/sign-in/oidc/callback.",
    )
    console_oidc_role_claim: str = Field(
        "cascade_role", description="The ID-token claim holding the person's console role."
    )
    console_oidc_default_role: str = Field(
        "read-only", description="The role of a person whose token names no valid role."
    )
    console_oidc_algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        description="JSON list of the ID-token signature algorithms the console accepts (of those the"
        f" issuer's discovery lists); public-key ones only: {', '.join(SIGNING_ALGORITHMS)}.",
    )
    console_oidc_leeway_seconds: float = Field(
        60.0, ge=0, le=300, description="Clock skew allowed on an ID token's exp, iat and nbf."
    )
    console_oidc_keys_cache_seconds: float = Field(
        3600.0,
        ge=0,
        description="The issuer's JWK set is read again after this long (and at once for a token"
        " signed by a key it does not hold, as after a rotation).",
    )

    @field_validator("console_service_urls")
    @classmethod
    def _all_services(cls, urls: dict[str, str]) -> dict[str, str]:
        unknown = set(urls) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}; services are {', '.join(SERVICES)}")
        return {**DEFAULT_URLS, **{name: url.rstrip("/") for name, url in urls.items()}}

    @field_validator("console_oidc_default_role")
    @classmethod
    def _known_role(cls, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        return role

    @field_validator("console_oidc_algorithms")
    @classmethod
    def _public_key_algorithms(cls, algorithms: list[str]) -> list[str]:
        refused = [name for name in algorithms if name not in SIGNING_ALGORITHMS]
        if refused or not algorithms:
            raise ValueError(f"ID tokens may be signed with {', '.join(SIGNING_ALGORITHMS)}; not {refused}")
        return algorithms

    @property
    def oidc_enabled(self) -> bool:
        return bool(
            self.console_oidc_issuer and self.console_oidc_client_id and self.console_oidc_redirect_url
        )

    def first_admin_password(self) -> str | None:
        """The first admin's password, from its file (written by `cascade up`), if there is one."""
        path = self.console_admin_password_file
        if path is None or not path.is_file():
            return None
        return path.read_text().strip() or None
