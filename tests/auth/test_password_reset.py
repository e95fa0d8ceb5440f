"""Password reset, end to end through the mail the worker's job sends."""

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storefront.auth.jobs import send_password_reset
from storefront.auth.models import PasswordResetToken
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import Settings
from storefront.users.models import User
from tests.conftest import SmtpServer
from tests.factories import (
    PASSWORD,
    bearer,
    create_user,
    log_in,
    log_in_tokens,
    queued_payloads,
    run_queued,
)

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "Brand-New-Secret-99"
LINK = re.compile(r"http://localhost:3000/reset-password\?token=([\w-]+)")


@pytest.fixture
def mailing(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(update={"smtp": smtp_server.settings})


@pytest.fixture
def mailed_token(
    client: AsyncClient, session: AsyncSession, mailing: Settings, smtp_server: SmtpServer
) -> Callable[[str], Awaitable[str]]:
    """Ask for a reset, run the job the request queued, and read the token from the mail."""

    async def request_reset(email: str) -> str:
        assert (await client.post(RESET, json={"email": email})).status_code == 202
        mails_before = len(smtp_server.messages)
        await run_queued(session, mailing, send_password_reset)
        [mail] = smtp_server.messages[mails_before:]
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
        [token] = LINK.findall(text)
        assert f"?token={token}" in html
        return str(token)

    return request_reset


async def test_known_and_unknown_emails_get_the_same_answer_and_the_same_work(
    client: AsyncClient, session: AsyncSession, customer: User
) -> None:
    known = await client.post(RESET, json={"email": customer.email})
    unknown = await client.post(RESET, json={"email": "nobody@example.com"})

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    # Both queue the job; only the job, later, looks the account up.
    emails = [payload["email"] for payload in await queued_payloads(session, send_password_reset)]
    assert emails == [customer.email, "nobody@example.com"]


async def test_the_reset_works_end_to_end_through_the_mail(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    mailed_token: Callable[[str], Awaitable[str]],
    smtp_server: SmtpServer,
) -> None:
    old_tokens = await log_in_tokens(client, customer.email)
    token = await mailed_token(customer.email.upper())

    confirmed = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert confirmed.status_code == 204
    assert smtp_server.messages[0]["To"] == customer.email
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 401
    assert (await log_in(client, customer.email, NEW_PASSWORD)).status_code == 200
    # Every earlier session ended: its access token and its refresh token alike.
    me = await client.get("/api/v1/users/me", headers=bearer(old_tokens["access_token"]))
    assert me.status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old_tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    # Single use.
    again = await client.post(CONFIRM, json={"token": token, "new_password": "Another-One-123"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_token"


async def test_a_newer_request_supersedes_the_older_link(
    client: AsyncClient,
    customer: User,
    mailed_token: Callable[[str], Awaitable[str]],
) -> None:
    first = await mailed_token(customer.email)
    second = await mailed_token(customer.email)

    older = await client.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD})
    newer = await client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD})

    assert (older.status_code, older.json()["code"]) == (400, "invalid_reset_token")
    assert newer.status_code == 204


async def test_an_expired_link_is_refused_and_changes_nothing(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    mailed_token: Callable[[str], Awaitable[str]],
) -> None:
    token = await mailed_token(customer.email)
    await session.execute(
        update(PasswordResetToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )

    expired = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})

    assert (expired.status_code, expired.json()["code"]) == (400, "invalid_reset_token")
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 200


async def test_an_unknown_token_is_refused(client: AsyncClient) -> None:
    response = await client.post(CONFIRM, json={"token": "made-up", "new_password": NEW_PASSWORD})

    assert (response.status_code, response.json()["code"]) == (400, "invalid_reset_token")


@pytest.mark.parametrize("new_password", ["short", "alllowercaseletters", "{email}"])
async def test_the_registration_password_rules_apply(
    client: AsyncClient,
    customer: User,
    mailed_token: Callable[[str], Awaitable[str]],
    new_password: str,
) -> None:
    token = await mailed_token(customer.email)
    body = {"token": token, "new_password": new_password.format(email=customer.email)}

    refused = await client.post(CONFIRM, json=body)

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["location"] == ["body", "new_password"]
    # Nothing changed: the old password works, and the link still does.
    assert (await log_in(client, customer.email, PASSWORD)).status_code == 200
    ok = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204


async def test_unknown_and_inactive_accounts_get_no_mail(
    client: AsyncClient,
    session: AsyncSession,
    hasher: PasswordHasher,
    mailing: Settings,
    smtp_server: SmtpServer,
) -> None:
    inactive = await create_user(session, hasher, is_active=False)
    for email in ("nobody@example.com", inactive.email):
        assert (await client.post(RESET, json={"email": email})).status_code == 202

    assert await run_queued(session, mailing, send_password_reset) == 2
    assert smtp_server.messages == []
    assert await session.scalar(select(PasswordResetToken)) is None


async def test_requests_are_throttled_per_email_known_or_not(
    client: AsyncClient, customer: User
) -> None:
    for email in (customer.email, "nobody@example.com"):
        statuses = [(await client.post(RESET, json={"email": email})).status_code for _ in range(4)]
        assert statuses == [202, 202, 202, 429]

    throttled = await client.post(RESET, json={"email": customer.email})
    assert throttled.json()["code"] == "too_many_attempts"
    assert 0 < int(throttled.headers["Retry-After"]) <= 15 * 60


async def test_requests_are_throttled_per_address(client: AsyncClient) -> None:
    statuses = [
        (await client.post(RESET, json={"email": f"someone-{n}@example.com"})).status_code
        for n in range(11)
    ]

    assert statuses == [202] * 10 + [429]


async def test_a_reset_mail_job_run_again_keeps_the_mailed_link_working(
    client: AsyncClient,
    session: AsyncSession,
    customer: User,
    mailing: Settings,
    smtp_server: SmtpServer,
) -> None:
    assert (await client.post(RESET, json={"email": customer.email})).status_code == 202
    [payload] = await queued_payloads(session, send_password_reset)
    await run_queued(session, mailing, send_password_reset)
    [mail] = smtp_server.messages
    [token] = LINK.findall(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]

    # The same job again (its worker died before recording it done): no new mail or token.
    await send_password_reset.enqueue(session, **payload)
    await run_queued(session, mailing, send_password_reset)

    assert len(smtp_server.messages) == 1
    ok = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
