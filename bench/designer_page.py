"""Time to interactive of the modeler page, ``/designer/<model id>/``, in headless Chromium.

The platform runs as in production: gunicorn with ``docker/gunicorn.conf.py``, ``DJANGO_DEBUG=0``
and the static files collected as the image collects them (hashed, compressed, served by
whitenoise with a year's ``Cache-Control``). A process designer signs in once through the login
form; then Chromium opens the modeler page of a 50-element and of a 300-element model, again and
again. A load starts at the navigation (the page's ``performance.timeOrigin``) and ends when the
page marks ``#designer`` ``data-state="ready"``: bpmn-js has drawn the latest version and the
tools answer. A MutationObserver installed before any of the page's scripts reads the page's
clock at that moment. The first load of each model has an empty browser cache, the others a warm
one (after 3 unmeasured loads). Target: ready within 1.5 s, cold and warm p95.

Where the time goes, per load: the HTML document, the bundles, their evaluation up to the
model's request, the model's XML, its import and drawing; and the main thread's work as
Chromium counts it (script, style, layout).
"""

from __future__ import annotations

import secrets
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, CDPSession, Page, sync_playwright

from bench.context import ROOT, BenchContext
from bench.designer_save import model_xml
from bench.provisioning import BENCH_DOMAIN, BENCH_SCHEMA
from bench.rest_start import server_spec
from bench.servers import ServerSpec, running
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

MODEL_TASKS = (23, 148)  # with their flows, a start and an end event: 50 and 300 elements
LOADS = 20
WARMUP = 3
TARGET_MS = 1500.0
DESIGNER = "bench-modeler"
# Chromium as the browser tests launch it; the tenant's name reaches gunicorn on 127.0.0.1
# directly, never trying ::1 first.
LAUNCH_ARGS = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {BENCH_DOMAIN} 127.0.0.1"]
COLLECTSTATIC = ["manage.py", "collectstatic", "--noinput", "--verbosity", "0"]
STATIC_ROOT = ROOT / "staticfiles"
WAIT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}
# No TLS in the bench: the browser sends the header the proxy adds (the server trusts its origin).
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# Runs before the page's own scripts: notes the page's clock whenever #designer changes state.
WATCH_READY = """
window.__designerStates = [];
new MutationObserver(() => {
  const root = document.getElementById("designer");
  const states = window.__designerStates;
  if (root && root.dataset.state !== (states.at(-1) || {}).state) {
    states.push({ state: root.dataset.state, at: performance.now() });
  }
}).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
"""
# The page's own timings of a load, in ms from the navigation's start.
READ_TIMINGS = """() => {
  const ready = window.__designerStates.find((change) => change.state === "ready");
  const navigation = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const bundles = resources.filter((entry) => /\\/static\\/(app|designer)\\./.test(entry.pathname || entry.name));
  const xml = resources.find((entry) => entry.name.endsWith("/xml/"));
  const calls = resources.filter((entry) => entry.initiatorType === "fetch" && entry.startTime < ready.at);
  return {
    ready: ready.at,
    document: navigation.responseEnd,
    bundles: Math.max(navigation.responseEnd, ...bundles.map((entry) => entry.responseEnd)),
    evaluated: xml.startTime,
    xml: xml.responseEnd,
    files: bundles.map((entry) => ({
      name: entry.name.split("/").pop(),
      encoded: entry.encodedBodySize,
      decoded: entry.decodedBodySize,
    })),
    calls: calls.map((entry) => `${new URL(entry.name).pathname} ${Math.round(entry.duration)} ms`),
  };
}"""
PHASES = {
    "document": "the HTML page",
    "bundles": "app/designer .js and .css",
    "evaluated": "evaluate the bundles, build bpmn-js",
    "xml": "GET the model's XML",
    "ready": "import and draw the diagram",
}
MAIN_THREAD = {"ScriptDuration": "script", "RecalcStyleDuration": "style", "LayoutDuration": "layout"}


@dataclass(frozen=True)
class PageLoad:
    ready_ms: float
    phases_ms: dict[str, float]  # each phase's own length, in the order of PHASES
    main_thread_ms: dict[str, float]
    files: list[dict[str, Any]]
    calls: list[str]


def _provision_models(password: str) -> dict[int, str]:
    """Ensure the designer with ``password``; create one model per size. The models' ids by tasks."""
    from django.db import connections
    from django_tenants.utils import schema_context

    from apps.designer import services as designer
    from apps.tenancy import services
    from apps.tenancy.roles import Role

    suffix = secrets.token_hex(4)
    with schema_context(BENCH_SCHEMA):
        services.ensure_user(services.UserSpec(DESIGNER, password, Role.PROCESS_DESIGNER), reset_password=True)
        models = {
            tasks: designer.create_model(
                name=f"Modeler page bench {2 * tasks + 4} {suffix}", owner=DESIGNER, xml=model_xml(tasks, 0).encode()
            )
            for tasks in MODEL_TASKS
        }
    connections.close_all()
    return {tasks: str(model.id) for tasks, model in models.items()}


def _collect_static(context: BenchContext) -> None:
    """Hash and compress static/dist into STATIC_ROOT, as the image's build does."""
    argv = [sys.executable, *COLLECTSTATIC]
    print(f"$ {context.shown(argv, env={})}", flush=True)
    subprocess.run(argv, cwd=ROOT, env=context.env, check=True)


def _main_thread_ms(cdp: CDPSession) -> dict[str, float]:
    metrics = {metric["name"]: metric["value"] for metric in cdp.send("Performance.getMetrics")["metrics"]}
    return {label: 1000 * metrics.get(name, 0.0) for name, label in MAIN_THREAD.items()}


def _load(page: Page, cdp: CDPSession, origin: str, model_id: str) -> PageLoad:
    """Open the modeler of ``model_id`` from a blank page of the same origin; its timings."""
    page.goto(f"{origin}/health")
    before = _main_thread_ms(cdp)
    page.goto(f"{origin}/designer/{model_id}/", wait_until="commit")
    page.wait_for_selector('#designer[data-state="ready"], #designer[data-state="error"]', timeout=WAIT_MS)
    states = page.evaluate("window.__designerStates")
    if not any(change["state"] == "ready" for change in states):
        message = page.locator("[data-alert]").text_content()
        raise RuntimeError(f"the modeler page never became ready: states {states}, alert {message!r}")
    after = _main_thread_ms(cdp)
    timings = page.evaluate(READ_TIMINGS)
    previous, phases = 0.0, {}
    for phase in PHASES:
        phases[phase] = max(timings[phase] - previous, 0.0)
        previous = max(previous, timings[phase])
    main_thread = {label: after[label] - before[label] for label in MAIN_THREAD.values()}
    return PageLoad(timings["ready"], phases, main_thread, timings["files"], timings["calls"])


def _sign_in(page: Page, origin: str, password: str) -> None:
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Username").fill(DESIGNER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{origin}/home/")


def _measure_model(browser: Browser, origin: str, password: str, model_id: str) -> tuple[PageLoad, list[PageLoad]]:
    """Sign in in a fresh browser context; the cold load, then the measured warm ones."""
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers=PROXY_HEADERS)
    context.set_default_timeout(WAIT_MS)
    script_errors: list[str] = []
    try:
        context.add_init_script(WATCH_READY)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        _sign_in(page, origin, password)
        cdp.send("Network.clearBrowserCache")
        cold = _load(page, cdp, origin, model_id)
        for _ in range(WARMUP):
            _load(page, cdp, origin, model_id)
        warm = [_load(page, cdp, origin, model_id) for _ in range(LOADS)]
    finally:
        context.close()
    if script_errors:
        raise RuntimeError(f"errors in the modeler page's scripts: {script_errors}")
    return cold, warm


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(fraction * len(ordered)) - 1, 0)]


def _verdict(milliseconds: float) -> str:
    return "met" if milliseconds < TARGET_MS else "MISSED"


def _report(elements: int, cold: PageLoad, warm: list[PageLoad]) -> None:
    ready = [load.ready_ms for load in warm]
    p50, p95 = statistics.median(ready), _percentile(ready, 0.95)
    print(
        f"  {elements} elements: first load (empty cache) {cold.ready_ms:.0f} ms ({_verdict(cold.ready_ms)}); "
        f"{LOADS} warm loads p50 {p50:.0f} ms, p95 {p95:.0f} ms ({_verdict(p95)}), max {max(ready):.0f} ms",
        flush=True,
    )
    for phase, meaning in PHASES.items():
        warm_ms = statistics.median(load.phases_ms[phase] for load in warm)
        print(f"    {meaning:<38} cold {cold.phases_ms[phase]:5.0f} ms, warm p50 {warm_ms:5.0f} ms", flush=True)
    for label in MAIN_THREAD.values():
        warm_ms = statistics.median(load.main_thread_ms[label] for load in warm)
        print(
            f"    main thread: {label:<25} cold {cold.main_thread_ms[label]:5.0f} ms, warm p50 {warm_ms:5.0f} ms",
            flush=True,
        )
    files = ", ".join(
        f"{file['name']} {file['decoded']:,} B ({file['encoded']:,} B on the wire)" for file in cold.files
    )
    print(f"    bundles (cold): {files}", flush=True)
    print(f"    calls before ready: {'; '.join(cold.calls)}", flush=True)


def run_designer_page(context: BenchContext, command: str) -> float:
    """Measure the modeler page of each model size; the 300-element model's warm p95, in ms."""
    print(f"\n== Designer: the modeler page, navigation to ready, headless Chromium\n$ {command}", flush=True)
    password = secrets.token_urlsafe(16)
    models = _provision_models(password)
    collected_here = not STATIC_ROOT.exists()
    base = server_spec()
    origin = f"http://{BENCH_DOMAIN}:{base.port}"
    spec = ServerSpec(base.name, base.argv, base.port, env={"DJANGO_CSRF_TRUSTED_ORIGINS": origin})
    results: dict[int, tuple[PageLoad, list[PageLoad]]] = {}
    try:
        _collect_static(context)
        print(f"$ {context.shown(spec.argv, env=spec.env)}", flush=True)
        print(f"$ {CHROMIUM} --headless {' '.join(LAUNCH_ARGS)} (Playwright)", flush=True)
        with running(spec, context.env, context.log_dir), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            try:
                version = browser.version
                for tasks, model_id in models.items():
                    results[tasks] = _measure_model(browser, origin, password, model_id)
            finally:
                browser.close()
    finally:
        if collected_here:
            shutil.rmtree(STATIC_ROOT, ignore_errors=True)
    print(
        f"  Chromium {version}, viewport {VIEWPORT['width']}x{VIEWPORT['height']}, target ready < {TARGET_MS:g} ms",
        flush=True,
    )
    for tasks, (cold, warm) in results.items():
        _report(2 * tasks + 4, cold, warm)
    _, warm = results[MODEL_TASKS[-1]]
    return _percentile([load.ready_ms for load in warm], 0.95)
