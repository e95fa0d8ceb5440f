from sqlalchemy import ColumnElement, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def purge(
    session: AsyncSession, model: type[DeclarativeBase], *due: ColumnElement[bool], limit: int
) -> int:
    """Delete at most `limit` rows of `model` matching `due`; how many were deleted.

    Bounded, so one run of a periodic purge is one short statement however much has
    piled up; what is left is deleted by the next run.
    """
    key = tuple_(*model.__mapper__.primary_key)
    batch = select(*model.__mapper__.primary_key).where(*due).limit(limit)
    result = await session.execute(
        delete(model).where(key.in_(batch)), execution_options={"synchronize_session": False}
    )
    return int(getattr(result, "rowcount", 0))
