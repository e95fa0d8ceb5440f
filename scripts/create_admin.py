"""Create an admin account, or promote (and reactivate) an existing one.

    uv run task create-admin -- ada@example.com [--name "Ada Lovelace"]

The password comes from ADMIN_PASSWORD, or a prompt when that is unset.
"""

import argparse
import asyncio
import getpass
import os
import sys

from pydantic import ValidationError

from storefront.auth.passwords import PasswordHasher
from storefront.core.config import get_settings
from storefront.core.database import (
    create_engine,
    create_sessionmaker,
    resolve_database_url,
    transaction,
)
from storefront.shared.text import normalize_email
from storefront.users import service as users_service
from storefront.users.models import UserRole
from storefront.users.schemas import UserCreate


def ask_password() -> str:
    if password := os.environ.get("ADMIN_PASSWORD"):
        return password
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != password:
        sys.exit("The passwords differ.")
    return password


async def create_admin(email: str, full_name: str) -> str:
    try:
        email = normalize_email(email)
    except ValueError as exc:
        sys.exit(f"Not an email address: {exc}")
    settings = get_settings()
    engine = create_engine(await resolve_database_url(settings.database), settings.database)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with transaction(sessionmaker) as session:
            user = await users_service.find_user_by_email(session, email)
            if user is not None:
                await users_service.update_user(
                    session, user.id, role=UserRole.ADMIN, is_active=True
                )
                return f"{user.email} is now an active admin."
        try:
            account = UserCreate(email=email, password=ask_password(), full_name=full_name)
        except ValidationError as exc:
            sys.exit("\n".join(error["msg"] for error in exc.errors()))
        # Hashed with no transaction open, like every hash in this project.
        hashed_password = await PasswordHasher(settings.auth).hash(account.password)
        async with transaction(sessionmaker) as session:
            await users_service.create_user(
                session,
                email=account.email,
                full_name=account.full_name,
                hashed_password=hashed_password,
                role=UserRole.ADMIN,
            )
        return f"Created admin {account.email}."
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("email")
    parser.add_argument("--name", default="Administrator", help="full name of a new account")
    arguments = parser.parse_args()
    print(asyncio.run(create_admin(arguments.email, arguments.name)))


if __name__ == "__main__":
    main()
