"""Build the production image with whatever container engine this machine has.

    python scripts/container.py image      # build storefront:latest; print its size

Docker when an engine answers; otherwise podman, installed from Debian when this
runs as root (it says so and stops otherwise). When the base image cannot be
pulled (no registry reachable), a stand-in is made from Debian packages under the
base image's name, and the build never pulls.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
IMAGE = "storefront:latest"
BASE_IMAGE = "python:3.11-slim-bookworm"  # the Dockerfile's PYTHON_IMAGE default
PODMAN_PACKAGES = ["podman", "buildah", "runc", "debootstrap"]
# The same path on the host (Debian) and in the base image.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@dataclass(frozen=True)
class Engine:
    name: str  # "docker" or "podman"
    env: dict[str, str]

    def run(
        self, *args: str, check: bool = True, capture: bool = False, **options: object
    ) -> subprocess.CompletedProcess[str]:
        if capture:
            options |= {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            [self.name, *args], env=self.env, check=check, text=True, **options
        )


def docker_answers() -> bool:
    try:
        answer = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):  # no client, or a daemon that hangs
        return False
    return answer.returncode == 0


def install_podman() -> None:
    if shutil.which("podman"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(
            "No Docker engine answers and podman is not installed. Install podman, buildah"
            " and runc (Debian: apt-get install podman buildah runc debootstrap, as root),"
            " or start a Docker engine, and run this again."
        )
    print(f"Installing {', '.join(PODMAN_PACKAGES)} from Debian...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", *PODMAN_PACKAGES], check=True)


def podman_config() -> Path:
    """containers.conf for this machine: resource limits within the host's hard limits
    (podman's defaults can exceed them in a container), and runc with cgroupfs where
    cgroups v2 is not the only hierarchy (crun refuses hybrid mode)."""
    open_files = subprocess.run(
        ["sh", "-c", "ulimit -Hn"], capture_output=True, text=True, check=True
    ).stdout.strip()
    lines = [
        "[containers]",
        f'default_ulimits = ["nofile={open_files}:{open_files}", "nproc=32768:32768"]',
        "[engine]",
        'events_logger = "file"',
    ]
    unified = subprocess.run(
        ["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if unified != "cgroup2fs":
        lines += ['runtime = "runc"', 'cgroup_manager = "cgroupfs"']
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "storefront"
    cache.mkdir(parents=True, exist_ok=True)
    config = cache / "containers.conf"
    config.write_text("\n".join(lines) + "\n")
    return config


def find_engine() -> Engine:
    if docker_answers():
        return Engine("docker", dict(os.environ))
    install_podman()
    return Engine("podman", {**os.environ, "CONTAINERS_CONF": str(podman_config())})


def debian_mirror() -> str:
    """The Debian mirror apt already uses here (reachable, unlike a registry)."""
    for sources in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        text = sources.read_text() if sources.is_file() else ""
        if match := re.search(r"^(?:URIs:|deb)\s+(https?://\S+/debian)/?(?:\s|$)", text, re.M):
            return match.group(1)
    return "http://deb.debian.org/debian"


def make_stand_in_base(engine: Engine, image: str) -> None:
    """Python 3.11 on Debian bookworm, built from Debian packages, named like the base.
    It carries this host's CA bundle, because HTTPS here may pass a re-signing proxy;
    an image built on the real base never does."""
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        sys.exit(f"{image} cannot be pulled, and making a stand-in needs root and debootstrap.")
    print(f"{image} cannot be pulled: making a stand-in from Debian packages...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="storefront-base-") as root:
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3.11,python3-venv",
                "bookworm",
                root,
                debian_mirror(),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # As slim as the real base: no package lists, caches or documentation.
        for leftover in (
            "var/cache/apt",
            "var/lib/apt/lists",
            "usr/share/doc",
            "usr/share/man",
            "usr/share/locale",
            "usr/share/info",
        ):
            shutil.rmtree(Path(root) / leftover, ignore_errors=True)
        for name in ("python3", "python"):
            (Path(root) / "usr/local/bin" / name).symlink_to("/usr/bin/python3.11")
        bundle = Path(root) / CA_BUNDLE.lstrip("/")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CA_BUNDLE, bundle)
        changes = [
            "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin",
            "ENV LANG=C.UTF-8",
            f"ENV SSL_CERT_FILE={CA_BUNDLE}",
            f"ENV PIP_CERT={CA_BUNDLE}",
            'CMD ["python3"]',
        ]
        with subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE) as tar:
            engine.run(
                "import",
                *(argument for change in changes for argument in ("--change", change)),
                "-",
                image,
                stdin=tar.stdout,
                stdout=subprocess.DEVNULL,
            )
        if tar.returncode != 0:
            sys.exit("Packing the stand-in base failed.")


def ensure_base_image(engine: Engine, image: str) -> None:
    if engine.run("image", "inspect", image, check=False, capture=True).returncode == 0:
        return
    pulled = engine.run("pull", image, check=False, capture=True)
    if pulled.returncode != 0:
        make_stand_in_base(engine, image)


def build_image(engine: Engine, tag: str = IMAGE) -> int:
    """Build the image; return its size in bytes."""
    ensure_base_image(engine, BASE_IMAGE)
    options = ["--format", "docker", "--pull=never"] if engine.name == "podman" else []
    engine.run("build", *options, "--tag", tag, str(REPO_ROOT))
    size = engine.run("image", "inspect", "--format", "{{.Size}}", tag, capture=True)
    return int(size.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["image"])
    parser.parse_args()
    engine = find_engine()
    size = build_image(engine)
    print(f"{IMAGE} built with {engine.name}: {size / 1_000_000:.0f} MB")


if __name__ == "__main__":
    main()
