"""Production settings from the environment: ``check --deploy`` is clean with the README's
production variables, and nothing starts with the development key when DEBUG is off.

Each check runs in a subprocess with an environment of its own, as a deployment would start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # seconds; Django starts in a few on a quiet machine

# What README "Security model" tells an operator to set (behind a TLS-terminating proxy).
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "meet.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://meet.example.com",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
    "TRUSTED_PROXY_HOPS": "1",
}


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests of the same run set DJANGO_ALLOW_ASYNC_UNSAFE in this process: not production's.
    test_only = ("SECRET_KEY", "DEBUG", "TEST_DATABASE_NAME", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in test_only}
    base = {k: v for k, v in base.items() if not k.startswith("SECURE_")}
    return subprocess.run(
        argv, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "manage.py", *args], env)


class DeployCheckTestCase(SimpleTestCase):
    def test_check_deploy_is_clean_in_production(self) -> None:
        r = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("System check identified no issues (0 silenced)", r.stdout)

    def test_check_deploy_warns_without_them(self) -> None:
        """The same check fails when HTTPS settings are missing (so the test above can fail)."""
        env = {"DEBUG": "False", "SECRET_KEY": PRODUCTION["SECRET_KEY"], "SECURE_COOKIES": "False"}
        r = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        self.assertNotEqual(r.returncode, 0)
        for warning in ("W004", "W008", "W012", "W016"):
            self.assertIn(f"security.{warning}", r.stderr)

    def test_production_headers(self) -> None:
        code = (
            "import django; django.setup();"
            "from django.test import Client;"
            "r = Client().get('/accounts/login/', secure=True, headers={'host': 'meet.example.com'});"
            "print(r.status_code); print(r.headers['Strict-Transport-Security']);"
            "print(r.headers['Content-Security-Policy'])"
        )
        env = {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "conference.settings"}
        r = run([sys.executable, "-c", code], env)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, hsts, csp = r.stdout.strip().splitlines()[-3:]
        self.assertEqual(status, "200")
        self.assertEqual(hsts, "max-age=31536000; includeSubDomains; preload")
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)


class DevelopmentKeyTestCase(SimpleTestCase):
    def test_manage_refuses_the_development_key_without_debug(self) -> None:
        r = manage("check", env={"DEBUG": "False"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ImproperlyConfigured: SECRET_KEY is the development key and DEBUG is off", r.stderr)

    def test_the_web_server_refuses_it_too(self) -> None:
        r = run(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "0", "conference.asgi:application"],
            {"DEBUG": "False"},
        )
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SECRET_KEY is the development key", r.stderr)

    def test_debug_runs_with_it(self) -> None:
        """make run (DEBUG=True) needs no key."""
        r = manage("check", env={"DEBUG": "True"})
        self.assertEqual(r.returncode, 0, r.stderr)
