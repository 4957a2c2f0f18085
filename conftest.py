"""Test-suite safety nets shared by every app (style.md rule 19)."""

from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

# A test still running after this many seconds stops its whole process, with every thread's
# stack printed (TREMPLIN_TEST_TIMEOUT to change it, 0 to turn it off). faulthandler's own
# thread needs no interpreter lock, so this fires even when a deadlock froze the interpreter,
# where a timer in Python would wait for ever. Under xdist the run goes on without the process
# and names the test that was running.
TEST_TIMEOUT_SECONDS = float(os.environ.get("TREMPLIN_TEST_TIMEOUT", "600"))


STDERR_COPY = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    # A copy of the real standard error: while a test runs, pytest captures descriptor 2.
    config.stash[STDERR_COPY] = os.dup(sys.__stderr__.fileno() if sys.__stderr__ else 2)


def pytest_unconfigure(config: pytest.Config) -> None:
    os.close(config.stash[STDERR_COPY])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if TEST_TIMEOUT_SECONDS <= 0:
        yield
        return
    faulthandler.dump_traceback_later(
        TEST_TIMEOUT_SECONDS, exit=True, file=item.config.stash[STDERR_COPY]
    )
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


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
