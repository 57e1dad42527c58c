"""What every benchmark section gets: the scratch database, a running server, and the
credentials to talk to it (an API token with every scope, an admin session)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from inventory.api_clients import issue_token
from inventory.models import ApiClient


@dataclass(frozen=True)
class Context:
    database_url: str
    base_url: str
    token: str
    admin_cookie: str  # "sessionid=…", for admin pages served by the server
    repeat: int
    quick: bool  # smaller scales, for a smoke run (the figures are then not the targets')

    def dsn(self) -> str:
        return self.database_url.replace("postgres://", "postgresql://", 1)


def create_credentials() -> tuple[str, str]:
    """An API client with every scope, and a logged-in superuser's session cookie."""
    client = ApiClient(name="benchmark", scopes=list(ApiClient.Scope.values))
    token = issue_token(client)
    client.save()
    user = get_user_model().objects.create_superuser("benchmark", "", None)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return token, f"sessionid={session.session_key}"


def postgres_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]
