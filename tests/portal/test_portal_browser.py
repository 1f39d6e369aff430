"""The portal in a real headless Chromium (Debian's, driven by Playwright), served by uvicorn on 127.0.0.1
from a small synthetic province ingested, linked, published and rated as `xinyong demo` does: search by
Chinese name, by pinyin and by code; open a subject; switch language; file an objection and see it listed;
work one review-queue item; move by keyboard. Screenshots go to `test-artifacts/portal/`.

Skipped only when `/usr/bin/chromium` is absent (`.ci/run` installs it); never a downloaded browser.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from xinyong import access
from xinyong.api.app import create_app
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock, today
from xinyong.ingest import ingest_paths
from xinyong.link import link_pending
from xinyong.rating import rate_all
from xinyong.screening import publish
from xinyong.settings import Settings
from xinyong.store import Store, subjects
from xinyong.store import screening as published
from xinyong.synth import generate, preset
from xinyong.text import org_name_core, pinyin_key

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@dataclass(frozen=True)
class Province:
    """The served province, and a listed company to look for."""

    base: str
    services: Services
    key: str
    name: str
    uscc: str
    record: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listed_company(services: Services) -> tuple[str, str, str, str]:
    day = today(services.clock)
    with services.store.connect() as conn:
        for target in published.iter_targets(conn):
            in_force = target.valid_from <= day and (target.valid_to is None or day <= target.valid_to)
            if target.target_kind == "org" and target.via_role is None and in_force and target.target_id:
                row = subjects.get_by_id_value(conn, target.target_id)
                if row is not None and len(org_name_core(row.name)) >= 3:
                    return row.key, row.name, target.target_id, target.record_key
    raise AssertionError("the small province has no listed company")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    """The small province, built once for this module and served on a free port."""
    folder = tmp_path_factory.mktemp("province")
    params = preset("small")
    generate(folder / "synth", params)
    store = Store(f"sqlite:///{folder / 'xinyong.db'}")
    store.init()
    clock = FixedClock(datetime(params.as_of.year, params.as_of.month, params.as_of.day, 12, tzinfo=CST))
    settings = Settings(database_url=store.url, home=folder / "home")
    services = Services(settings=settings, clock=clock, catalog=default_catalog(), _store=store)
    for feed in sorted((folder / "synth" / "feeds").iterdir()):
        ingest_paths(store, services.catalog, clock, [feed], feed.name.rsplit(".", 1)[0], home=settings.home)
    link_pending(store, services.catalog, clock, settings)
    publish(store, services.catalog, clock)
    rate_all(store, services.catalog, clock)
    key, name, uscc, record = _listed_company(services)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="portal-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Province(f"http://127.0.0.1:{port}", services, key, name, uscc, record)
    finally:
        server.should_exit = True
        thread.join(10)
        services.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab with its own cookies."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _search(page: Any, province: Province, query: str) -> None:
    page.goto(province.base + "/")
    page.get_by_label("名称（中文或拼音）、统一社会信用代码或登记编号").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")


def _sign_in(page: Any, province: Province, key: str, target: str) -> None:
    page.goto(province.base + target)
    page.wait_for_url("**/sign-in?next=*")
    page.get_by_label("访问密钥").fill(key)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(province.base + target)


def test_search_by_chinese_name_pinyin_and_code_then_open_the_subject(page: Any, province: Province) -> None:
    core = org_name_core(province.name)
    for query in (province.name, core, pinyin_key(core), province.uscc):
        _search(page, province, query)
        link = page.locator(f'a[href="/subjects/{province.key}"]')
        assert link.count() == 1, query
    _search(page, province, pinyin_key(core))
    page.locator(f'a[href="/subjects/{province.key}"]').click()
    page.wait_for_url(f"**/subjects/{province.key}")
    assert page.locator("h1").inner_text() == province.name
    assert page.locator("h1").count() == 1
    assert province.uscc in page.inner_text("main")
    assert page.get_by_role("heading", name="名单").count() == 1
    _shot(page, "subject")


def test_language_switch_is_remembered(page: Any, province: Province) -> None:
    page.goto(province.base + "/oversight")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**/oversight?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Oversight dashboard"
    assert page.locator("svg.chart").count() >= 2
    _shot(page, "oversight")
    page.goto(province.base + f"/subjects/{province.key}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Public records").count() == 1
    page.get_by_role("link", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


def test_file_an_objection_and_see_it_listed(page: Any, province: Province) -> None:
    services = province.services
    spec = access.principal_spec(services.catalog, name="portal-browser-subject", role="subject", subject=province.uscc)
    key = access.create_key(services.store, services.clock, spec).key
    _sign_in(page, province, key, "/me")
    assert page.locator("h1").inner_text() == "我的信用档案"
    page.locator("#objection-record").select_option(province.record)
    page.get_by_label("异议理由").fill("该案款项已于本月全部履行完毕，请予核实。")
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_url("**/me?done=objection*")
    notice = page.locator(".notice-success").inner_text()
    assert "已提交" in notice
    row = page.locator("#objections + .table-wrap tbody tr").filter(has_text=province.record)
    assert row.count() == 1
    assert "待处理" in row.inner_text()
    _shot(page, "objection")


def test_work_one_review_queue_item(page: Any, province: Province) -> None:
    services = province.services
    spec = access.principal_spec(services.catalog, name="portal-browser-operator", role="operator")
    key = access.create_key(services.store, services.clock, spec).key
    _sign_in(page, province, key, "/operator/review")
    first = page.locator("article.review").first
    record = first.locator("h2 .mono").inner_text()
    first.get_by_label("理由（记入审计日志）").fill("名称与住所一致，确认为同一企业")
    first.get_by_role("button", name="提交决定").click()
    page.wait_for_url("**/operator/review?done=*")
    assert page.locator(".notice-success").count() == 1
    assert page.locator("article.review h2 .mono", has_text=record).count() == 0
    _shot(page, "review")


def test_keyboard_reaches_the_skip_link_and_the_search_box(page: Any, province: Province) -> None:
    page.goto(province.base + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id || document.activeElement.getAttribute('href')")
    assert focused
    page.focus("#q")
    page.keyboard.type(org_name_core(province.name))
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator(f'a[href="/subjects/{province.key}"]').count() == 1
