"""Stop the embedded PostgreSQL that `task run` started (its data stays)."""

from storefront.core.config import get_settings
from storefront.core.embedded import stop_embedded_server

data_dir = get_settings().database.embedded_dir
print("Stopped." if stop_embedded_server(data_dir) else f"No server was running in {data_dir}.")
