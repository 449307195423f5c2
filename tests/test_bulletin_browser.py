"""The HTML bulletin as a real browser renders it (headless Chromium).

Skipped only when Chromium is missing *and* the CI variable is unset; on CI a
missing browser is a failure.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from shuangsuiji.bulletin import write_html

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _helpers() -> ModuleType:
    """The sample bulletin and the number checks shared with tests/test_bulletin.py."""
    spec = importlib.util.spec_from_file_location("_bulletin_helpers", Path(__file__).with_name("test_bulletin.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chromium() -> str:
    path = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required on CI (apt-get install -y chromium) but was not found")
        pytest.skip("Chromium not installed (apt-get install -y chromium); set CI=1 to make this a failure")
    return path


def _run(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rendered_dom_shows_the_right_numbers(chromium: str, tmp_path: Path, lang: str) -> None:
    h = _helpers()
    b = h.sample_bulletin()
    page = tmp_path / "bulletin.html"
    write_html(b, page, lang=lang)
    done = _run(chromium, tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    assert 'id="count-total"' in dom and "<svg" in dom
    h.check_html_numbers(dom, b)


def test_screenshot(chromium: str, tmp_path: Path) -> None:
    h = _helpers()
    page = tmp_path / "bulletin.html"
    write_html(h.sample_bulletin(), page)
    shot = tmp_path / "bulletin.png"
    done = _run(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000   # a blank page compresses to a few kB
