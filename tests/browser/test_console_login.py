"""The console as a person uses it, in real Chromium: log in with the one-time password,
be forced to change it, see the status page, log out; hostile input stays text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from ..integration.server import ServerProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path_factory.mktemp("browser") / "data").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


def test_first_login_forced_change_status_and_logout(srv: ServerProcess, browser: object, tmp_path: Path) -> None:
    one_time = (srv.data_dir / "admin.password").read_text().strip()
    ctx = browser.new_context(ignore_https_errors=True)  # type: ignore[attr-defined]
    page = ctx.new_page()
    base = f"https://127.0.0.1:{srv.http}"
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    page.fill("#u", "admin")
    page.fill("#p", "wrong-password-<script>alert(1)</script>")
    page.click("button[type=submit]")
    assert "invalid user name or password" in page.content()
    page.fill("#u", "admin")
    page.fill("#p", one_time)
    page.click("button[type=submit]")
    assert page.url == base + "/account/password"
    assert "must choose a new password" in page.content()
    page.fill("#c", one_time)
    page.fill("#n", "Control-room-browser-7")
    page.click("form[action='/account/password'] button")
    assert page.url == base + "/"
    assert page.locator("th", has_text="events_stored").count() == 1
    page.screenshot(path=str(tmp_path / "status.png"))
    cookies = {c["name"]: c for c in ctx.cookies()}
    assert cookies["iw_session"]["httpOnly"] and cookies["iw_session"]["secure"]
    assert cookies["iw_session"]["sameSite"] == "Strict"
    page.click("text=Log out")
    assert page.url.startswith(base + "/login")
    page.goto(base + "/")
    assert page.url.startswith(base + "/login")
    ctx.close()


def test_hostile_next_parameter_stays_on_site(srv: ServerProcess, browser: object) -> None:
    ctx = browser.new_context(ignore_https_errors=True)  # type: ignore[attr-defined]
    page = ctx.new_page()
    base = f"https://127.0.0.1:{srv.http}"
    page.goto(base + '/login?next=//evil.example/"><script>window.pwned=1</script>')
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("input[name=next]").get_attribute("value") == "/"
    ctx.close()
