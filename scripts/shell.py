"""IPython with the app's context; top-level `await` works: `await db.scalars(select(User))`."""

import asyncio

from IPython import start_ipython
from sqlalchemy import func, select, text

from storefront.core import models
from storefront.core.config import get_settings
from storefront.core.database import create_engine, create_sessionmaker, resolve_database_url

settings = get_settings()
engine = create_engine(asyncio.run(resolve_database_url(settings.database)), settings.database)
db = create_sessionmaker(engine)()
namespace = {
    "settings": settings,
    "engine": engine,
    "db": db,
    "select": select,
    "func": func,
    "text": text,
    **{name: getattr(models, name) for name in models.__all__},
}
print("Context:", ", ".join(sorted(namespace)))
start_ipython(argv=["--no-banner"], user_ns=namespace)
