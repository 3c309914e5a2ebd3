"""The studio page (GET /) end to end: the real server on tiny checkpoints, driven in headless Chromium.

Needs Debian's Chromium (`apt-get install chromium`) and Playwright's Python package (requirements-dev.txt);
Playwright cannot download its own browser here, so it launches /usr/bin/chromium. Without it the tests skip,
except on CI (CI=true) where they fail. `TTS_ALEX_SCREENSHOTS=1` also writes docs/screenshots/*.png.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import tone_wav
from tests.server import PROJECT, ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # A fake microphone (a beeping tone) that needs no permission prompt.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
INSTALL_HINT = "apt-get install chromium && pip install -r requirements-dev.txt"
# Read at import: the autouse fixture of conftest removes every TTS_ALEX_* variable before each test.
SCREENSHOTS = os.environ.get("TTS_ALEX_SCREENSHOTS") == "1"
SCREENSHOT_DIR = PROJECT / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}
AUDIO_DURATION_JS = """audio => new Promise((resolve, reject) => {
    if (audio.readyState >= 1) return resolve(audio.duration);
    audio.addEventListener("loadedmetadata", () => resolve(audio.duration), {once: true});
    audio.addEventListener("error", () => reject(new Error("audio error " + (audio.error && audio.error.code))));
})"""


def _unavailable(reason: str) -> None:
    """Fail on CI, where the browser must be there; skip elsewhere, saying how to install it."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"UI tests cannot run on CI: {reason}. .ci/run must install it ({INSTALL_HINT}).")
    pytest.skip(f"{reason}; install it with: {INSTALL_HINT}")


def start_server(root: Path, tiny_dir: Path, **env: str) -> ServerProcess:
    """`python main.py --tiny` with its own empty library and no TTS_ALEX_* setting from the developer's shell."""
    return ServerProcess(root, tiny_dir, **env).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_dir: Path) -> Iterator[ServerProcess]:
    """One server shared by the tests of this module."""
    process = start_server(tmp_path_factory.mktemp("ui-server"), tiny_dir)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright's Python package is missing")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


class PageProblems:
    """Console errors, uncaught exceptions and failed requests of a page; HTTP errors a test provokes are allowed."""

    def __init__(self, page: object) -> None:
        self.problems: list[str] = []
        self.allowed: list[tuple[int, str]] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def allow(self, status: int, path: str) -> None:
        self.allowed.append((status, path))

    def _is_allowed(self, status: int, url: str) -> bool:
        return any(status == s and httpx.URL(url).path == p for s, p in self.allowed)

    def _failed(self, request: object) -> None:
        # A media element stops reading an in-memory blob when its source changes: not a network failure.
        if request.url.startswith("blob:") and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"request failed: {request.url} {request.failure}")

    def _console(self, message: object) -> None:
        if message.type != "error":
            return
        # Chromium logs every HTTP error response as a console error: allowed when the test expects that response.
        url = message.location.get("url", "")
        statuses = [s for s, _ in self.allowed if f"status of {s} " in message.text]
        if statuses and any(self._is_allowed(s, url) for s in statuses):
            return
        self.problems.append(f"console error: {message.text} ({url})")

    def _response(self, response: object) -> None:
        if response.status >= 400 and not self._is_allowed(response.status, response.url):
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")


@pytest.fixture
def studio(browser: object, server: ServerProcess) -> Iterator[tuple[object, PageProblems]]:
    """A fresh page on the studio, loaded; after the test, no console error and no failed request."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    problems = PageProblems(page)
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    try:
        yield page, problems
        assert problems.problems == []
    finally:
        context.close()


def screenshot(target: object, name: str) -> None:
    """docs/screenshots/<name>.png when TTS_ALEX_SCREENSHOTS=1 (the toast is hidden first)."""
    if not SCREENSHOTS:
        return
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = getattr(target, "page", target)
    page.evaluate("document.getElementById('notice').hidden = true")
    if target is page:
        page.evaluate("window.scrollTo(0, 0)")
    target.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def latest_take_duration(page: object) -> float:
    audio = page.locator("#takes .take").first.locator("audio")
    assert audio.get_attribute("src").startswith("blob:")
    return audio.evaluate(AUDIO_DURATION_JS)


def custom_names(server: ServerProcess) -> list[str]:
    voices = httpx.get(server.url + "/voices", timeout=30).json()["voices"]
    return [v["name"] for v in voices if v["type"] == "custom"]


def test_page_loads_offline_with_header_and_grouped_voices(studio, server) -> None:
    page, _ = studio
    assert page.title() == "TTS-Alex · Studio"
    assert page.is_visible("#tiny-badge") and "bruit" in page.inner_text("#tiny-badge")
    assert "CPU" in page.inner_text("#device-badge")
    groups = page.eval_on_selector_all("#voice optgroup", "gs => gs.map(g => [g.label, g.children.length])")
    assert ["Voix natives", 9] in groups
    assert "Serena — Voix féminine jeune" in page.inner_text("#voice")
    assert page.input_value("#language") == "fr"
    # Every control has a label.
    unlabeled = page.eval_on_selector_all(
        "input:not([type=radio]), select, textarea",
        "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.id)",
    )
    assert unlabeled == []
    # Natives cannot be deleted, and the page says why.
    natives = page.locator("#native-list .voice")
    assert natives.count() == 9
    assert page.locator("#native-list button[data-action=delete]").count() == 0
    assert natives.first.inner_text().count("voix native : non supprimable") == 1
    # Static assets are served; the page is not part of the API schema.
    assert httpx.get(server.url + "/static/studio.css", timeout=30).headers["content-type"].startswith("text/css")
    assert "/" not in httpx.get(server.url + "/openapi.json", timeout=30).json()["paths"]
    # Only same-origin resources, so it works offline.
    hosts = page.evaluate("performance.getEntriesByType('resource').map(r => new URL(r.name).host)")
    assert set(hosts) <= {f"127.0.0.1:{server.port}"}
    # Two columns on a laptop, one when narrow.
    studio_box = page.locator(".studio").bounding_box()
    side_box = page.locator(".side").bounding_box()
    assert side_box["x"] > studio_box["x"] + studio_box["width"] - 1
    page.set_viewport_size({"width": 760, "height": 900})
    studio_box = page.locator(".studio").bounding_box()
    assert page.locator(".side").bounding_box()["y"] >= studio_box["y"] + studio_box["height"]


def test_generate_with_a_native_voice_play_and_download(studio) -> None:
    page, _ = studio
    page.select_option("#voice", "Ryan")
    assert page.is_enabled("#instruct")
    page.fill("#text", "Bonjour à tous, bienvenue dans ce nouvel épisode.")
    page.press("#text", "Control+Enter")
    page.wait_for_selector("#takes .take audio")
    assert page.inner_text("#generate-status").startswith("Prête en")
    assert latest_take_duration(page) > 0
    take = page.locator("#takes .take").first
    assert "Ryan" in take.inner_text()
    link = take.locator("a.download")
    assert link.get_attribute("href") == take.locator("audio").get_attribute("src")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith("_Ryan.wav")

    # Raw PCM is offered for download only.
    if page.locator("#format option[value=pcm]").count():
        page.select_option("#format", "pcm")
        page.click("#generate")
        page.wait_for_selector("#takes .take:nth-child(2)")
        pcm = page.locator("#takes .take").first
        assert pcm.locator("audio").count() == 0
        assert pcm.locator("a.download").get_attribute("download").endswith(".pcm")


def test_clone_from_a_file_use_it_then_delete_it(studio, server, tmp_path) -> None:
    page, _ = studio
    reference = tmp_path / "reference.wav"
    reference.write_bytes(tone_wav(2.0))
    page.fill("#clone-name", "voix-test-ui")
    page.fill("#clone-description", "Narration des vidéos")
    page.set_input_files("#reference-file", str(reference))
    page.fill("#clone-reference-text", "Bonjour, ceci est un test de clonage.")
    page.click("#clone-submit")

    card = page.locator('#custom-list .voice[data-voice="voix-test-ui"]')
    card.wait_for()
    text = card.inner_text()
    for expected in ("Narration des vidéos", "CLONE", "1.7B", "Français", "Créée le", "Taille", "Ko"):
        assert expected in text, (expected, text)
    assert "voix-test-ui" in custom_names(server)
    # Created voices are selected in the studio; custom voices cannot follow instructions.
    assert page.input_value("#voice") == "voix-test-ui"
    assert page.is_disabled("#instruct")
    assert page.locator('#voice optgroup[label="Mes voix"] option[value="voix-test-ui"]').count() == 1

    page.fill("#text", "Salut, c'est ma nouvelle voix.")
    page.click("#generate")
    page.wait_for_selector("#takes .take audio")
    assert latest_take_duration(page) > 0
    assert "voix-test-ui" in page.locator("#takes .take").first.inner_text()
    screenshot(page, "studio")
    screenshot(page.locator(".library"), "library")

    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    card.locator("button[data-action=delete]").click()
    card.wait_for(state="detached")
    assert "voix-test-ui" in dialogs[0]
    assert "voix-test-ui" not in custom_names(server)
    assert page.locator('#voice option[value="voix-test-ui"]').count() == 0
    assert page.is_visible("#custom-empty")


def test_validation_errors_are_shown_next_to_their_field(studio, server, tmp_path) -> None:
    page, problems = studio
    # Missing inputs are caught in the page, each next to its field.
    page.click("#clone-submit")
    for error in ("#clone-name-error", "#reference-error", "#clone-reference-text-error"):
        assert page.is_visible(error), error
    # Rules are the server's: its answer (400, field=name) lands next to the name field.
    problems.allow(400, "/voices/custom")
    reference = tmp_path / "reference.wav"
    reference.write_bytes(tone_wav(2.0))
    page.fill("#clone-name", "ab")
    page.set_input_files("#reference-file", str(reference))
    page.fill("#clone-reference-text", "Bonjour, ceci est un test.")
    page.click("#clone-submit")
    page.wait_for_selector("#clone-name-error:text('Nom invalide')")
    assert page.get_attribute("#clone-name", "aria-invalid") == "true"
    assert page.is_hidden("#reference-error") and page.is_hidden("#banner")
    assert page.evaluate("document.activeElement.id") == "clone-name"
    assert "ab" not in custom_names(server)
    screenshot(page.locator(".create"), "clone-error")
    # Editing the field clears its error.
    page.fill("#clone-name", "abc-ok")
    assert page.is_hidden("#clone-name-error")

    page.click("#tab-design")
    assert page.is_visible("#design-form") and page.is_hidden("#clone-form")
    page.fill("#design-name", "voix-annonces")
    page.fill("#design-description", "Annonces de la chaîne")
    page.fill("#design-voice-description", "Une voix féminine posée et claire, au débit calme, ton chaleureux.")
    screenshot(page.locator(".create"), "design")


def test_clone_from_the_microphone(studio, server) -> None:
    page, _ = studio
    page.click("#rec-start")
    page.wait_for_selector("#rec-stop:visible")
    time.sleep(1.5)
    page.click("#rec-stop")
    page.wait_for_selector("#ref-use:visible")
    assert page.get_attribute("#ref-audio", "src").startswith("blob:")
    page.click("#ref-use")
    assert "utilisé" in page.inner_text("#ref-label")
    page.fill("#clone-name", "voix-micro")
    page.fill("#clone-reference-text", "Un, deux, trois.")
    page.click("#clone-submit")
    page.locator('#custom-list .voice[data-voice="voix-micro"]').wait_for()
    assert "voix-micro" in custom_names(server)
    httpx.delete(server.url + "/voices/custom/voix-micro", timeout=30).raise_for_status()


def test_api_key_is_asked_once_then_sent(browser, tiny_dir, tmp_path) -> None:
    server = start_server(tmp_path, tiny_dir, TTS_ALEX_API_KEY="cle-de-test-123")
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        page = context.new_page()
        problems = PageProblems(page)
        for path in ("/languages", "/formats", "/voices"):
            problems.allow(401, path)
        page.goto(server.url + "/")
        page.wait_for_selector("#key-dialog[open]")
        assert "CPU" in page.inner_text("#device-badge")  # /health stays open
        page.fill("#api-key", "cle-de-test-123")
        page.press("#api-key", "Enter")
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("#native-list .voice").count() == 9
        assert page.locator("#language option").count() > 1
        assert page.evaluate("localStorage.getItem('tts-alex.api-key')") == "cle-de-test-123"
        assert problems.problems == []
    finally:
        context.close()
        server.stop()
