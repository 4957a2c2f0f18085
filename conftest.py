"""Test-suite safety nets shared by every app (style.md rule 19)."""

from __future__ import annotations

from typing import Any

import pytest


class InvalidTemplateVariable(str):
    """Make any unknown variable in our own templates fail the test that renders it."""

    def __mod__(self, other: Any) -> str:
        raise AssertionError(f"Variable de gabarit inconnue : {other!r}")


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TREMPLIN_REQUIRE_MFA_FOR_STAFF = False
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for engine in settings.TEMPLATES:
        engine["OPTIONS"]["string_if_invalid"] = InvalidTemplateVariable("%s")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server: Any) -> Any:
    """A Chromium page (Debian's /usr/bin/chromium, never a downloaded browser).

    Skips when no Chromium is installed, unless TREMPLIN_REQUIRE_BROWSER=1 (CI), where a
    missing browser is a failure.
    """
    import os
    import shutil

    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable:
        if os.environ.get("TREMPLIN_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium est introuvable alors que TREMPLIN_REQUIRE_BROWSER=1.")
        pytest.skip("Chromium n'est pas installé (apt-get install chromium) : parcours ignoré.")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test still uses the ORM
    # synchronously to prepare data, which Django allows only when told so.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            context = browser.new_context(locale="fr-FR", base_url=live_server.url)
            yield context.new_page()
            context.close()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
