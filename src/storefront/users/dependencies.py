from typing import Annotated

from fastapi import Depends, Path

from storefront.core.database import ReadSession
from storefront.users import service
from storefront.users.models import User
from storefront.users.schemas import UserId


async def get_user_in_path(user_id: Annotated[UserId, Path()], session: ReadSession) -> User:
    return await service.get_user(session, user_id)


UserInPath = Annotated[User, Depends(get_user_in_path)]
