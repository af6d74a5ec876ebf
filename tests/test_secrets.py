"""Secrets stay out of log records, exception messages and reprs."""

from __future__ import annotations

import logging
import pickle

import pytest

from sage_dmo import AuthenticationError, SageDMOClient, Secret, Settings
from sage_dmo.emulator import Emulator, ManualClock

from .conftest import SITES_QUERY, StartEmulator

CANARY_SECRET = "canary-secret-7f3a9c"


def test_secret_masks_str_repr_and_format() -> None:
    """str, repr and f-strings of a Secret never show the value."""
    secret = Secret(CANARY_SECRET)
    assert CANARY_SECRET not in str(secret)
    assert CANARY_SECRET not in repr(secret)
    assert CANARY_SECRET not in f"{secret} {secret!r} {secret:>40}"
    assert secret.reveal() == CANARY_SECRET


def test_secret_cannot_be_pickled() -> None:
    """Pickling a Secret raises instead of writing the value to bytes."""
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(CANARY_SECRET))


def test_settings_repr_masks_secret() -> None:
    """The repr of Settings shows the client id but not the secret."""
    settings = Settings(
        client_id="client-a", client_secret=Secret(CANARY_SECRET), tenant_id="tenant-a"
    )
    assert "client-a" in repr(settings)
    assert CANARY_SECRET not in repr(settings)


async def test_debug_logs_carry_no_secret(
    start_emulator: StartEmulator,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, no record, message or repr carries the secret or any token."""
    caplog.set_level(logging.DEBUG)
    emulator: Emulator = await start_emulator(client_secret=CANARY_SECRET)
    settings = emulator.settings()
    texts: list[str] = []
    async with SageDMOClient(settings, clock=clock.monotonic) as client:
        await client.execute(SITES_QUERY)
        clock.advance(880)
        await client.execute(SITES_QUERY)
        emulator.revoke_access_tokens()
        await client.execute(SITES_QUERY)
        manager = client.transport.token_manager
        texts += [repr(client), repr(client.transport), repr(manager)]
        texts += [repr(manager.current), repr(settings), str(manager.stats)]
    wrong = Settings(
        client_id=settings.client_id,
        client_secret=Secret(CANARY_SECRET + "-wrong"),
        tenant_id=settings.tenant_id,
        token_url=settings.token_url,
    )
    with pytest.raises(AuthenticationError) as caught:
        async with SageDMOClient(wrong, clock=clock.monotonic):
            pass
    texts.append(str(caught.value))
    texts.append(repr(caught.value))
    texts += [record.getMessage() for record in caplog.records]
    secrets = [CANARY_SECRET, *emulator.tokens.issued_tokens()]
    assert len(secrets) > 4
    leaks = [
        (secret[:6], text[:80])
        for text in texts
        for secret in secrets
        if secret in text
    ]
    assert leaks == []
