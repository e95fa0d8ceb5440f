"""The `storefront` command: `storefront serve` is how the API is served, everywhere;
`storefront healthcheck` is the image's HEALTHCHECK (slim images have no curl)."""

import argparse
import sys
import urllib.request

import uvicorn

from storefront.core.config import get_settings


def serve(*, host: str | None, port: int | None, reload: bool) -> None:
    settings = get_settings()
    uvicorn.run(
        "storefront.core.main:create_app",
        factory=True,
        host=host or settings.server.host,
        port=port or settings.server.port,
        reload=reload,
        reload_dirs=["src"] if reload else None,
        workers=None if reload else settings.web_concurrency,
        # After SIGTERM, requests in flight get this long; then the process exits anyway.
        timeout_graceful_shutdown=settings.server.shutdown_timeout_seconds,
        server_header=False,
        # The app reads X-Forwarded-For itself, trusting only FORWARDED_ALLOW_IPS;
        # uvicorn's own handling would trust 127.0.0.1 by default.
        proxy_headers=False,
        access_log=False,  # ours knows the request id
        log_config=None,  # the app configures logging
    )


def healthcheck(*, path: str) -> None:
    """Exit 0 when the local server answers `path` with 200, else 1."""
    settings = get_settings()
    url = f"http://127.0.0.1:{settings.server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            healthy = response.status == 200
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser(
        "serve", help="serve the API (SERVER_HOST, SERVER_PORT, WEB_CONCURRENCY)"
    )
    serve_command.add_argument("--host", help="overrides SERVER_HOST")
    serve_command.add_argument("--port", type=int, help="overrides SERVER_PORT")
    serve_command.add_argument("--reload", action="store_true", help="restart on code changes")
    check_command = commands.add_parser("healthcheck", help="exit 0 if the local server is up")
    check_command.add_argument(
        "--ready", action="store_true", help="ready to serve (database reachable, migrated)"
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "healthcheck":
        healthcheck(path="/health/ready" if arguments.ready else "/health/live")
    else:
        serve(host=arguments.host, port=arguments.port, reload=arguments.reload)


if __name__ == "__main__":
    main()
