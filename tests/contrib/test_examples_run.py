"""The example shops run as ``examples/shops/README.rst`` says, and can be watched.

Each shop is started with its README command (the checkout's ``.venv/bin/python``
being this test's interpreter), on a free port, and visited over HTTP; then it is
stopped and started again, and the same visit works again: the whole state
(users included) lives in memory, so a restart is a fresh shop, never half of
one. Its standard error shows each emit.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="uvicorn is not installed")
pytest.importorskip("django", reason="Django is not installed")
pytest.importorskip("flask", reason="Flask is not installed")

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "examples" / "shops" / "README.rst"
EMAIL = "alice@example.com"
STARTUP_LIMIT = 60.0  # seconds; a shop that is not up by then is broken


def readme_command(shop: str) -> list[str]:
    """The console line after ``.. shop-command: <shop>`` in the shops' README."""
    text = README.read_text(encoding="utf-8")
    after = text.split(f"\n.. shop-command: {shop}\n", 1)[1]
    line = next(
        line.strip() for line in after.splitlines() if line.strip().startswith("$ ")
    )
    words = shlex.split(line.removeprefix("$ "))
    assert ".venv/bin/python" == words[0], line
    return [sys.executable, *words[1:]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(shop: str, log: Path) -> Iterator[str]:
    """Run *shop* with its README command; yield its base URL; stop it."""
    port = free_port()
    command = readme_command(shop)
    if shop == "django":
        command.append(f"127.0.0.1:{port}")  # runserver's address
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with log.open("ab") as output:
        # A session of its own: the reloaders' child processes stop with it.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            try:
                httpx.get(f"{url}/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.2)
        yield url
    finally:
        with suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def visit(url: str) -> None:
    """Register, sign in, fill a basket, and have a bad review refused."""
    with httpx.Client(base_url=url, follow_redirects=False, timeout=10) as client:

        def post(path: str, **data: str) -> httpx.Response:
            # Django's CSRF token, from its cookie (it changes at login).
            token = client.cookies.get("csrftoken", "")
            return client.post(path, data={**data, "csrfmiddlewaretoken": token})

        assert 200 == client.get("/products/MUG-1").status_code
        client.get("/register")  # Django: the CSRF cookie
        registered = post("/register", email=EMAIL)
        added = post("/basket/add", sku="MUG-1")
        basket = client.get("/basket")
        review = post("/products/MUG-1/reviews", score="abc", title="Mug")

    assert (302, "/") == (registered.status_code, registered.headers["location"])
    assert 302 == added.status_code
    assert 200 == basket.status_code
    assert "MUG-1" in basket.text
    assert 400 == review.status_code


@pytest.mark.parametrize("shop", ["flask", "django", "fastapi"])
def test_runs_as_its_readme_says_and_again_after_a_restart(shop, tmp_path):
    log = tmp_path / f"{shop}.log"

    with running(shop, log) as url:
        visit(url)
    with running(shop, log) as url:
        visit(url)  # the same email registers again: nothing half-remembered

    text = log.read_text(encoding="utf-8")
    assert 2 == text.count(" event user_registered from "), text
    assert " event basket_addition from " in text
    assert "shop.subscribers." in text  # which subscribers ran
