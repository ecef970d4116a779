"""The documentation site builds strictly and shows in a real headless Chromium: pages render,
figures load, math displays. Skips when the docs extra (pip install -e ".[docs]") or Chromium
(Debian: apt-get install -y chromium) is missing.

The build executes every tutorial in its fast setting (cached in build/docs-cache between runs).
The browser check is a probe page served beside the site: it opens each page in a same-origin
iframe and reports, from Chromium's own layout, the images that did not decode and the MathML
formulas that take no space; ``chromium --dump-dom`` hands back that report."""
import functools
import http.server
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NEEDED = ("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers.python", "latex2mathml", "jupytext",
          "nbclient", "ipykernel")
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
PAGES = ["index.html", "tutorials/index.html", "tutorials/01_tensors_and_the_chain_rule.html",
         "tutorials/04_losses.html", "tutorials/glossary.html", "teaching.html", "api/tensor.html"]


def _missing():
    for name in NEEDED:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except ModuleNotFoundError:
            return name
    return None


pytestmark = [
    pytest.mark.skipif(_missing() is not None, reason=f"docs extra not installed ({_missing()}): pip install -e '.[docs]'"),
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install -y chromium"),
]

PROBE = """<!doctype html><html><body><script>
const pages = %s;
function check(url) {
  return new Promise(done => {
    const frame = document.createElement("iframe");
    frame.style.width = "1200px"; frame.style.height = "900px";
    frame.onload = () => setTimeout(() => {
      const d = frame.contentDocument, imgs = [...d.querySelectorAll("img")], maths = [...d.querySelectorAll("math")];
      done({url, title: d.title, h1: (d.querySelector("h1") || {textContent: ""}).textContent.trim(),
            text: d.body.innerText.length, images: imgs.length,
            broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute("src").slice(0, 80)),
            maths: maths.length,
            shown: maths.filter(m => m.namespaceURI === "http://www.w3.org/1998/Math/MathML" && m.getBoundingClientRect().width > 0
                                     && m.getBoundingClientRect().height > 0).length});
      frame.remove();
    }, 300);
    frame.src = url;
    document.body.appendChild(frame);
  });
}
(async () => {
  const report = [];
  for (const page of pages) report.push(await check(page));
  const out = document.createElement("pre"); out.id = "report"; out.textContent = JSON.stringify(report);
  document.body.appendChild(out);
})();
</script></body></html>"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site_dir = tmp_path_factory.mktemp("site")
    env = dict(os.environ, TINYNN_FAST="1", NO_MKDOCS_2_WARNING="1")
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=3000)
    assert build.returncode == 0, f"strict build failed:\n{build.stdout[-3000:]}\n{build.stderr[-6000:]}"
    return site_dir


@pytest.fixture(scope="module")
def report(site, tmp_path_factory):
    (site / "probe.html").write_text(PROBE % json.dumps(["/" + p for p in PAGES]), encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tmp_path_factory.mktemp("chromium-profile")
    try:
        run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              f"--user-data-dir={profile}", "--virtual-time-budget=30000", "--dump-dom",
                              f"http://127.0.0.1:{server.server_address[1]}/probe.html"],
                             capture_output=True, text=True, timeout=180)
    finally:
        server.shutdown()
    match = re.search(r'<pre id="report">(.*?)</pre>', run.stdout, re.S)
    assert match, f"the probe page reported nothing:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}"
    import html

    return {entry["url"].lstrip("/"): entry for entry in json.loads(html.unescape(match.group(1)))}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_every_page_renders_with_its_title_and_text(report):
    for page in PAGES:
        entry = report[page]
        assert "tinynn" in entry["title"] and not entry["title"].startswith("-"), entry
        assert entry["h1"] and entry["text"] > 500, entry


def test_figures_load(report):
    assert report["tutorials/index.html"]["images"] >= 9  # the README's table of pictures
    assert report["tutorials/01_tensors_and_the_chain_rule.html"]["images"] >= 1  # figures from the executed cells
    for page in PAGES:
        assert not report[page]["broken"], f"{page}: images that did not load: {report[page]['broken']}"


def test_math_displays(report):
    for page in ("tutorials/01_tensors_and_the_chain_rule.html", "tutorials/04_losses.html"):
        entry = report[page]
        assert entry["maths"] >= 2, entry
        assert entry["shown"] == entry["maths"], f"{page}: {entry['maths'] - entry['shown']} formulas take no space"


def test_no_raw_tex_and_api_reference_from_docstrings(site):
    tutorial = (site / "tutorials/01_tensors_and_the_chain_rule.html").read_text(encoding="utf-8")
    assert "$$" not in re.sub(r"<pre.*?</pre>|<code.*?</code>", "", tutorial, flags=re.S)
    for page in PAGES:  # offline: no script, stylesheet or font from another host
        text = (site / page).read_text(encoding="utf-8")
        assert not re.findall(r'<script[^>]+src="https?://|<link[^>]+href="https?://', text), page
    api = (site / "api/tensor.html").read_text(encoding="utf-8")
    assert "topological_order" in api and "Iterative depth-first search" in api
