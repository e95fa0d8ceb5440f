"""Load-test the API as production runs it, against a bare Starlette + asyncpg baseline.

    uv run task bench [-- --duration 10 --connections 32]

Starts (or reuses) the embedded PostgreSQL, builds a fresh `storefront_bench`
database with the Atlas migrations, seeds 10,000 products, a user and their
orders, and serves the app as production does (`storefront serve`, production
settings and logging; `--workers` server processes, 1 by default). wrk then
drives each scenario after a warm-up. The table is printed and written as JSON
under .bench/ (git-ignored). Exits non-zero when any response was not 2xx.
"""

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from scripts.atlas import atlas_environment, run_atlas
from scripts.bench.jobs import jobs_per_second
from storefront.auth.passwords import PasswordHasher
from storefront.core.config import (
    AuthSettings,
    DatabaseSettings,
    LogSettings,
    Settings,
    get_settings,
)
from storefront.core.database import (
    create_database,
    create_engine,
    create_sessionmaker,
    plain_url,
    resolve_database_url,
    transaction,
)
from storefront.orders import service as orders_service
from storefront.orders.schemas import OrderCreate, OrderLineCreate
from storefront.shared.ids import format_typeid, uuid7
from storefront.users import service as users_service

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / ".bench"
LOAD_SCRIPT = Path(__file__).with_name("load.lua")
PRODUCTS = 10_000
JOBS = 5_000
COLUMNS = ["id", "sku", "name", "description", "price_cents", "currency", "stock", "version"]
COLUMNS += ["created_at", "updated_at"]
ORDERS = 500
EMAIL = "bench@example.com"
PASSWORD = "Bench-Password-42"  # noqa: S105 - the seeded bench user's


@dataclass
class Result:
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    ratio_to_baseline: float | None = None
    ratio_to_floor: float | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def prepare_database() -> tuple[str, list[str], list[str], list[str]]:
    """A fresh, migrated, seeded bench database: its URL, product ids (TypeIDs and raw)
    and order ids."""
    settings = get_settings()
    server_url = await resolve_database_url(settings.database)
    database_url = await create_database(server_url, "storefront_bench", replace=True)
    dev_url = await create_database(server_url, "storefront_bench_atlas_dev")
    applied = run_atlas(
        ["migrate", "apply"], atlas_environment(database_url, dev_url), capture=True
    )
    if applied.returncode != 0:
        sys.exit(f"Migrating the bench database failed:\n{applied.stdout}")

    product_ids = [uuid7() for _ in range(PRODUCTS)]
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        now = datetime.now(UTC)
        await connection.copy_records_to_table(
            "products",
            columns=COLUMNS,
            records=[
                (pid, f"SKU-{n:05d}", f"Product {n}", "", 100 + n, "USD", 10**6, 1, now, now)
                for n, pid in enumerate(product_ids)
            ],
        )
    finally:
        await connection.close()

    engine = create_engine(database_url, settings.database)
    try:
        hashed = await PasswordHasher(AuthSettings()).hash(PASSWORD)
        async with transaction(create_sessionmaker(engine)) as session:
            user = await users_service.create_user(
                session, email=EMAIL, full_name="Bench", hashed_password=hashed
            )
            order_ids = []
            for n in range(ORDERS):
                lines = [OrderLineCreate(product_id=product_ids[n], quantity=1)]
                order = await orders_service.place_order(
                    session, user_id=user.id, order=OrderCreate(items=lines)
                )
                order_ids.append(format_typeid("ord", order.id))
    finally:
        await engine.dispose()
    return (
        database_url,
        [format_typeid("prod", pid) for pid in product_ids],
        [str(pid) for pid in product_ids],
        order_ids,
    )


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """Run a server until the block ends; yields its base URL once it answers."""
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base_url}/health/live", timeout=1).status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"The server did not start; see {log}")
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=30)


def wrk(
    base_url: str, scenario: str, *, seconds: int, connections: int, env: dict[str, str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "wrk",
            f"--threads={min(2, connections)}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            f"--script={LOAD_SCRIPT}",
            base_url,
        ],
        env=os.environ | env | {"BENCH_SCENARIO": scenario, "BENCH_RUN_TAG": uuid7().hex},
        stdout=subprocess.PIPE,
        text=True,
    )


def result_of(scenario: str, process: subprocess.Popen[str]) -> Result:
    output, _ = process.communicate()
    line = next(line for line in output.splitlines() if line.startswith("BENCH_RESULT "))
    raw: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
    return Result(
        scenario=scenario,
        requests_per_second=round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        p50_ms=round(raw["p50_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2),
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
    )


def measure(
    base_url: str,
    scenario: str,
    arguments: argparse.Namespace,
    env: dict[str, str],
    *,
    connections: int | None = None,
) -> Result:
    connections = connections or arguments.connections
    warm_up = wrk(base_url, scenario, seconds=arguments.warm_up, connections=connections, env=env)
    result_of(scenario, warm_up)
    run = wrk(base_url, scenario, seconds=arguments.duration, connections=connections, env=env)
    return result_of(scenario, run)


def median_of(measured: list[Result], label: str) -> Result:
    median = sorted(measured, key=lambda result: result.requests_per_second)[len(measured) // 2]
    median.scenario = f"{label} (median of {len(measured)})"
    return median


def write_ids(name: str, ids: list[str]) -> str:
    path = OUTPUT_DIR / f"{name}.txt"
    path.write_text("\n".join(ids) + "\n")
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warm-up", type=int, default=3, help="seconds before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the metrics and tracing comparison"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes of the app (not the baseline)"
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (the bench task does this as root).")
    OUTPUT_DIR.mkdir(exist_ok=True)

    print("Preparing the bench database (10,000 products, 1 user, 500 orders)...", flush=True)
    database_url, product_ids, raw_product_ids, order_ids = asyncio.run(prepare_database())
    server_env = os.environ | {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "AUTH_ACCESS_TOKEN_MINUTES": "120",
        # Login attempts are all correct, but come from one address, for one account,
        # many at once (each holds a throttling reservation while its hash runs).
        "AUTH_MAX_FAILURES_PER_ADDRESS": "1000000",
        "AUTH_MAX_FAILURES_PER_ACCOUNT": "1000000",
        # Production requires it; the API never mails (the worker does, and none runs here).
        "SMTP_HOST": "127.0.0.1",
        # As deployed: metrics on (scraped by Prometheus), tracing off.
        "METRICS_ENABLED": "true",
        "METRICS_TOKEN": uuid7().hex,
    }
    uvicorn = [sys.executable, "-m", "uvicorn", "--workers", "1", "--no-access-log"]
    # The app as production serves it: `storefront serve`, WEB_CONCURRENCY processes.
    app_server = [sys.executable, "-m", "storefront.cli", "serve"]
    server_env["WEB_CONCURRENCY"] = str(arguments.workers)
    # The pools per process shrink with the processes, so the three servers of the
    # metrics and tracing comparison stay within max_connections (100) together
    # (their scenarios are hand-written reads: 3 x 20 read-pool connections).
    server_env["DATABASE_POOL_SIZE"] = str(20 // arguments.workers)
    server_env["DATABASE_READ_POOL_SIZE"] = str(20 // arguments.workers)
    # The yardsticks serve the same row: Starlette + asyncpg, then the least FastAPI does.
    # They stay up for the whole run and are measured three times across it (first,
    # after the app's scenarios, last); the median counts, so the machine's drift over
    # the run does not fall on every ratio at once.
    yardstick_env = {"BENCH_IDS_FILE": write_ids("raw_product_ids", raw_product_ids)}
    yardstick_labels = {
        "app": "baseline (Starlette + asyncpg)",
        "floor": "framework floor (FastAPI + asyncpg + pydantic)",
    }
    yardstick_rounds: dict[str, list[Result]] = {name: [] for name in yardstick_labels}
    with ExitStack() as yardsticks:
        yardstick_urls = {
            name: yardsticks.enter_context(
                serving(
                    [*uvicorn, "--app-dir", "scripts/bench", f"baseline:{name}"],
                    server_env | {"DATABASE_URL": plain_url(database_url)},
                    free_port(),
                    OUTPUT_DIR / f"{name}.log",
                )
            )
            for name in yardstick_labels
        }

        def measure_yardsticks() -> None:
            for name, url in yardstick_urls.items():
                print(f"Measuring the {yardstick_labels[name]}...", flush=True)
                yardstick_rounds[name].append(measure(url, "baseline", arguments, yardstick_env))

        measure_yardsticks()
        results, reads = measure_app(app_server, server_env, arguments, product_ids, order_ids)
        measure_yardsticks()
        results += measure_metrics_and_tracing(app_server, server_env, arguments, reads)
        measure_yardsticks()
    baseline, floor = (
        median_of(yardstick_rounds[name], label) for name, label in yardstick_labels.items()
    )
    results[:0] = [baseline, floor]

    for result in results[1:]:
        result.ratio_to_baseline = round(
            result.requests_per_second / baseline.requests_per_second, 3
        )
        result.ratio_to_floor = round(result.requests_per_second / floor.requests_per_second, 3)
    print("Measuring the worker...", flush=True)
    worker_settings = Settings(
        _env_file=None,
        database=DatabaseSettings(url=SecretStr(database_url)),
        log=LogSettings(level="WARNING"),
    )
    rate = asyncio.run(jobs_per_second(database_url, worker_settings, JOBS))
    report(results)
    print(f"One worker: {rate:,.0f} jobs/s ({JOBS:,} no-op jobs, JOBS_CONCURRENCY=10)")


# A scenario: its label, its name in load.lua, wrk's extra environment, and its
# connections (None: --connections).
Scenario = tuple[str, str, dict[str, str], int | None]


def measure_app(
    app_server: list[str],
    server_env: dict[str, str],
    arguments: argparse.Namespace,
    product_ids: list[str],
    order_ids: list[str],
) -> tuple[list[Result], list[Scenario]]:
    """Every scenario on the app as deployed, then reads during a login storm; the
    results, and the read scenarios (for the metrics and tracing comparison)."""
    results: list[Result] = []
    with serving(app_server, server_env, free_port(), OUTPUT_DIR / "app.log") as app_url:
        login = httpx.post(
            f"{app_url}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        login_body = f"username={EMAIL.replace('@', '%40')}&password={PASSWORD}"
        products_env = {"BENCH_IDS_FILE": write_ids("product_ids", product_ids)}
        orders_env = {"BENCH_IDS_FILE": write_ids("order_ids", order_ids), "BENCH_TOKEN": token}
        scenarios: list[Scenario] = [
            ("GET /products/{id}", "product", products_env, None),
            ("GET /products?limit=20", "product_page", products_env, None),
            ("GET /orders/{id}", "order", orders_env, None),
            ("POST /orders", "place_order", products_env | {"BENCH_TOKEN": token}, None),
            ("POST /auth/token", "login", {"BENCH_LOGIN_BODY": login_body}, 8),
        ]
        for label, scenario, env, connections in scenarios:
            print(f"Measuring {label}...", flush=True)
            result = measure(app_url, scenario, arguments, env, connections=connections)
            result.scenario = label
            results.append(result)

        print("Measuring reads during a login storm...", flush=True)
        storm_env = {"BENCH_LOGIN_BODY": login_body}
        storm = wrk(app_url, "login", seconds=arguments.duration + 2, connections=32, env=storm_env)
        time.sleep(1)
        reads = measure(app_url, "product", arguments, products_env, connections=16)
        logins = result_of("login", storm)
        reads.scenario = "GET /products/{id} during 32-connection login storm"
        logins.scenario = "POST /auth/token (the storm)"
        results += [reads, logins]
    return results, scenarios[:3]


def measure_metrics_and_tracing(
    app_server: list[str],
    server_env: dict[str, str],
    arguments: argparse.Namespace,
    reads: list[Scenario],
) -> list[Result]:
    """What metrics and tracing cost: the reads on three servers at once (both off,
    metrics on, tracing on), measured in turn, round after round, so the machine's
    drift falls on all three alike; the median round counts. Spans go to an OTLP
    endpoint nobody listens on: the app pays for making them, and the exporter,
    failing in its own thread, drops them."""
    variants = {
        "off": {"METRICS_ENABLED": "false"},
        "metrics on": {},
        "tracing on": {
            "METRICS_ENABLED": "false",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        },
    }
    rounds: dict[tuple[str, str], list[Result]] = {}
    with ExitStack() as servers:
        urls = {
            variant: servers.enter_context(
                serving(
                    app_server,
                    server_env | variant_env,
                    free_port(),
                    OUTPUT_DIR / f"app-{variant.replace(' ', '-')}.log",
                )
            )
            for variant, variant_env in variants.items()
        }
        for round_number in range(1, arguments.rounds + 1):
            print(f"Measuring metrics and tracing, round {round_number}...", flush=True)
            for label, scenario, env, _ in reads:
                for variant, url in urls.items():
                    result = measure(url, scenario, arguments, env)
                    rounds.setdefault((label, variant), []).append(result)
    return [
        median_of(measured, f"{label}, {variant}") for (label, variant), measured in rounds.items()
    ]


def report(results: list[Result]) -> None:
    header = (
        f"{'scenario':<54} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'x base':>7} {'x floor':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for r in results:
        ratios = [
            "" if ratio is None else f"{ratio:.3f}"
            for ratio in (r.ratio_to_baseline, r.ratio_to_floor)
        ]
        print(
            f"{r.scenario:<54} {r.requests_per_second:>8.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{r.non_2xx + r.socket_errors:>8} {ratios[0]:>7} {ratios[1]:>7}"
        )
    path = OUTPUT_DIR / f"results-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(f"\nWritten to {path.relative_to(REPO_ROOT)}")
    if any(r.non_2xx or r.socket_errors for r in results):
        sys.exit("Some responses were not 2xx: that is a bug.")


if __name__ == "__main__":
    main()
