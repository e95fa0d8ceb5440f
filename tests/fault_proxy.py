"""A TCP proxy in front of the test database that can refuse, drop or stall connections,
so the app meets a real server behaving as a failing one does."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url


class FaultProxy:
    def __init__(self, database_url: str) -> None:
        upstream = make_url(database_url)
        socket_dir = upstream.query.get("host")
        self._upstream_unix = (
            f"{socket_dir}/.s.PGSQL.{upstream.port or 5432}" if socket_dir else None
        )
        self._upstream_tcp = (upstream.host or "127.0.0.1", upstream.port or 5432)
        self._database_url = upstream
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._links: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The database URL through this proxy."""
        proxied = self._database_url.set(host="127.0.0.1", port=self.port, query={})
        return proxied.render_as_string(hide_password=False)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening and drop every connection: a database that is down."""
        assert self._server is not None
        self._server.close()
        self.drop()

    def drop(self) -> None:
        """Close every open connection: a database that restarted, a network that broke."""
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def stall(self) -> None:
        """Accept and hold connections but pass nothing on: a database that hangs."""
        self._flowing.clear()

    async def recover(self) -> None:
        self._flowing.set()
        if self._server is not None and not self._server.is_serving():
            await self.start()

    async def close(self) -> None:
        await self.refuse()
        self._flowing.set()

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        try:
            if self._upstream_unix:
                server_reader, server_writer = await asyncio.open_unix_connection(
                    self._upstream_unix
                )
            else:
                server_reader, server_writer = await asyncio.open_connection(*self._upstream_tcp)
        except OSError:
            client_writer.transport.abort()
            return
        self._links |= {client_writer, server_writer}
        await asyncio.gather(
            self._pump(client_reader, server_writer),
            self._pump(server_reader, client_writer),
            return_exceptions=True,
        )
        for writer in (client_writer, server_writer):
            self._links.discard(writer)
            writer.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._flowing.wait()
            writer.write(data)
            await writer.drain()
        writer.transport.abort()


@contextlib.asynccontextmanager
async def fault_proxy(database_url: str) -> AsyncIterator[FaultProxy]:
    proxy = FaultProxy(database_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
