"""The Oscar app, in a real django-oscar shop (``tests/contrib/oscar_shop``).

Django is configured once per process, and this process's is the example
Django shop's: the Oscar shop's tests run in a process of their own, on a
SQLite file in the test's temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("oscar", reason="django-oscar is not installed")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
JOURNEY = HERE / "oscar_shop" / "journey.py"


def test_oscar_shop(tmp_path: Path) -> None:
    """Browse, search, basket, voucher, guest and registered checkout, order
    status, review; the wiring and the system checks; the django-debug-toolbar
    panel in a headless Chromium, whose screenshot is left in *tmp_path*
    (see journey.py)."""
    env = {
        **os.environ,
        "OSCAR_SHOP_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "oscar_shop.settings",
        "PYTHONPATH": os.pathsep.join(
            [str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(JOURNEY),
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfE",
            "--no-header",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    summary = result.stdout.strip().splitlines()[-1] if result.stdout else ""
    assert 0 == result.returncode, result.stdout[-30000:] + result.stderr[-5000:]
    assert summary.startswith("12 passed"), result.stdout[-5000:]
    assert (tmp_path / "shop.sqlite3").is_file()
    assert (tmp_path / "django-debug-toolbar.png").is_file()
