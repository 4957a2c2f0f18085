from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tremplin.sap.fake_urssaf import FakeUrssaf
from tremplin.sap.urssaf import HttpUrssafGateway


@pytest.fixture
def fake() -> Iterator[FakeUrssaf]:
    """The local URSSAF server, in a thread, for one test."""
    with FakeUrssaf() as server:
        yield server


@pytest.fixture
def gateway(fake: FakeUrssaf) -> HttpUrssafGateway:
    """The real HTTP gateway, pointed at the local server."""
    return HttpUrssafGateway(fake.base_url, fake.client_id, fake.client_secret, timeout=5)


@pytest.fixture
def urssaf_settings(settings: Any, fake: FakeUrssaf) -> FakeUrssaf:
    """The application configured to talk to the local server."""
    settings.URSSAF_API_URL = fake.base_url
    settings.URSSAF_CLIENT_ID = fake.client_id
    settings.URSSAF_CLIENT_SECRET = fake.client_secret
    return fake
