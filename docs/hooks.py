"""MkDocs hooks that turn the repository into the documentation site (``mkdocs.yml`` loads this).

* ``on_files`` adds what lives outside ``docs/``: README.md as the home page, the tutorials'
  pages (README, equations, documents, glossary) and figures, and every numbered tutorial
  executed into a notebook with its outputs and figures (``TINYNN_FAST=1``, the default here,
  runs their fast setting). Executions run two at a time in fresh kernels and are cached in
  ``build/docs-cache`` by the hash of the tutorial and of tinynn's sources.
* Math (``$...$``, ``$$...$$``) becomes MathML at build time (latex2mathml): the site needs no
  JavaScript and no network to show it, and a formula that does not convert fails the build.
* Links to repository files that are not pages (benchmarks/, programs/, .py sources) point at
  the text of the file, copied beside the site, so the strict build has no dead link.

``python docs/hooks.py execute SRC.py OUT.ipynb`` executes one tutorial (the build calls it).
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import pathlib
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from mkdocs.plugins import event_priority

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
CACHE = ROOT / "build" / "docs-cache"

# ------------------------------------------------------------------------------------ math
_FENCE = re.compile(r"(^|\n)(```|~~~).*?\n\2[^\n]*(?=\n|$)|`[^`\n]+`", re.S)  # code: left alone
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$\w])\$(?=[^\s$])([^$\n]+?)(?<=[^\s\\])\$(?![\w$])")


def tex_to_mathml(tex, display, where):
    """One formula as MathML. An ``aligned`` block latex2mathml refuses is shown row by row;
    a formula that still does not convert fails the strict build (readers must not get raw TeX)."""
    from latex2mathml.converter import convert

    tex = tex.strip()
    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises several exception types
        rows = _aligned_rows(tex)
        if rows is None:
            raise ValueError(f"{where}: cannot turn ${tex}$ into MathML ({type(error).__name__}: {error})") from error
        return "\n".join(tex_to_mathml(row, True, where) for row in rows)
    return mathml.replace("<math ", f'<math class="tinynn-math" alttext="{html.escape(tex, quote=True)}" ', 1)


def _aligned_rows(tex):
    """The rows of a whole-formula aligned/align/gathered block, alignment marks dropped (or None)."""
    match = re.fullmatch(r"\\begin\{(aligned|align\*?|gathered)\}(.*)\\end\{\1\}", tex, re.S)
    if match is None:
        return None
    rows = [row.replace("&", " ").strip() for row in re.split(r"\\\\", match.group(2))]
    return [row for row in rows if row]


def render_math(markdown, where):
    """Every $$display$$ and $inline$ formula of a Markdown text as MathML, code spans untouched."""
    pieces, last = [], 0
    for code in _FENCE.finditer(markdown):
        pieces.append(_render_prose(markdown[last:code.start()], where))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_render_prose(markdown[last:], where))
    return "".join(pieces)


def _render_prose(text, where):
    text = _DISPLAY.sub(lambda m: "\n\n" + tex_to_mathml(m.group(1), True, where) + "\n\n", text)
    return _INLINE.sub(lambda m: tex_to_mathml(m.group(1), False, where), text)


# ------------------------------------------------------------------------------------ doctests
def doctest_extension():
    """A Markdown extension that shows ``>>>`` examples (docstrings) as Python console blocks,
    instead of nested quotes whose ``[...]`` outputs would read as links."""
    from markdown.extensions import Extension
    from markdown.preprocessors import Preprocessor

    class Doctests(Preprocessor):
        def run(self, lines):
            out, fence, in_example = [], None, False
            for line in lines:
                stripped = line.lstrip()
                if fence is None and re.match(r"(`{3,}|~{3,})", stripped):
                    fence = re.match(r"(`{3,}|~{3,})", stripped).group(1)
                elif fence is not None and stripped.startswith(fence):
                    fence = None
                elif fence is None and not in_example and stripped.startswith(">>>"):
                    indent = line[:len(line) - len(stripped)]
                    out += ["", indent + "```pycon"]
                    in_example = True
                elif in_example and not stripped:
                    out += [indent + "```", ""]
                    in_example = False
                out.append(line)
            if in_example:
                out += [indent + "```", ""]
            return out

    class DoctestExtension(Extension):
        def extendMarkdown(self, md):
            md.preprocessors.register(Doctests(md), "tinynn_doctests", 40)  # before superfences (29+)

    return DoctestExtension()


# ------------------------------------------------------------------------------------ links
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


def rewrite_links(markdown, page_dir, site_files, notebook=False):
    """Point links at what the site has: ``NN_x.py`` -> the executed notebook, a repository file
    that is not a page -> its copy under ``source/``. ``page_dir`` is the page's folder in the
    repository (relative to ROOT); ``notebook`` pages get final .html addresses (nbconvert
    output is not rewritten by MkDocs)."""

    def fix(match):
        head, target, tail = match.groups()
        if re.match(r"[a-z]+:|#|/", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(page_dir, path)).replace(os.sep, "/")
        if resolved.startswith("tutorials/") and re.match(r"tutorials/\d\d_.*\.py$", resolved):
            resolved = resolved[:-3] + ".ipynb"
        elif resolved == "README.md":
            resolved = "index.md"
        elif resolved.startswith("docs/"):  # docs/x.md of the repository is x.md of the site
            resolved = resolved[len("docs/"):]
        elif not (ROOT / resolved).exists():
            return match.group(0)  # a dead link: the strict build reports it
        elif resolved not in site_files:
            if (ROOT / resolved).is_dir():
                resolved = resolved.rstrip("/") + "/"
                source = "source/" + resolved + "index.md"
            else:
                source = "source/" + resolved + ".md"
            resolved = source
        if notebook:
            resolved = re.sub(r"(README)?\.(md|ipynb)$", lambda m: "index.html" if m.group(1) else ".html", resolved)
        new = os.path.relpath(resolved, page_dir or ".").replace(os.sep, "/")
        return f"{head}{new}{'#' + anchor if anchor else ''}{tail}"

    return _LINK.sub(fix, markdown)


def source_page(rel):
    """A page showing a repository file (or listing a folder) that a README links to."""
    path = ROOT / rel
    if path.is_dir():
        entries = sorted(p for p in path.iterdir() if not p.name.startswith((".", "_")) and p.name != "__pycache__")
        items = "\n".join(f"* `{p.name}`" for p in entries)
        return f"# `{rel}`\n\nThe folder `{rel}` of the repository holds:\n\n{items}\n"
    text = path.read_text(encoding="utf-8")
    language = {".py": "python", ".md": "markdown", ".toml": "toml"}.get(path.suffix, "text")
    return f"# `{rel}`\n\n````{language}\n{text}\n````\n"


# ------------------------------------------------------------------------------------ notebooks
def _fast():
    return os.environ.get("TINYNN_FAST", "1") == "1"


def _fingerprint(tutorial):
    """The cache key: the tutorial, _setup.py, the mode and (unless TINYNN_DOCS_REUSE=1, for
    quick rebuilds while writing prose) every source file of tinynn."""
    digest = hashlib.sha1()
    digest.update(b"fast" if _fast() else b"full")
    engine = [] if os.environ.get("TINYNN_DOCS_REUSE") == "1" else sorted((ROOT / "tinynn").rglob("*.py"))
    for path in [tutorial, TUTORIALS / "_setup.py", *engine]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def execute(source, target):
    """Execute one percent-format tutorial into a notebook with outputs (in a fresh kernel
    whose working directory is tutorials/); figures go to a scratch folder, not the checkout."""
    import tempfile

    import jupytext
    import nbformat
    from nbclient import NotebookClient

    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with tempfile.TemporaryDirectory(prefix="tinynn-docs-") as scratch:
        os.environ.update(TINYNN_OUT=scratch, MPLBACKEND="module://matplotlib_inline.backend_inline",  # figures inline
                          PYTHONPATH=os.pathsep.join(
            [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
        for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(threads, "1")
        client = NotebookClient(notebook, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(pathlib.Path(source).parent)}})
        client.execute()
    nbformat.write(notebook, target)


def executed_notebook(tutorial):
    """The cached executed notebook of ``tutorial`` (executing it in a subprocess if needed)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"{tutorial.stem}.{_fingerprint(tutorial)}.ipynb"
    if not target.is_file():
        partial = target.with_suffix(".part")
        run = subprocess.run([sys.executable, __file__, "execute", str(tutorial), str(partial)],
                             capture_output=True, text=True, env=dict(os.environ, TINYNN_FAST="1" if _fast() else "0"))
        if run.returncode != 0:
            raise RuntimeError(f"executing {tutorial.relative_to(ROOT)} failed:\n{run.stderr[-4000:]}")
        partial.replace(target)
    return target


def prepare_notebook(executed, rel, site_files):
    """The notebook as the site shows it: math as MathML and links rewritten in its prose cells."""
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            text = rewrite_links(render_math(text, rel), "tutorials", site_files, notebook=True)
            cell["source"] = text
    return json.dumps(notebook)


# ------------------------------------------------------------------------------------ hooks
def _title(path):
    """A page's first heading (a notebook's first markdown cell's), for the navigation."""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(?:# )?# (.+)$", line) if path.suffix == ".py" else re.match(r"^# (.+)$", line)
        if match:
            return match.group(1).strip()
    return path.stem


@event_priority(100)  # before mkdocstrings reads the Markdown extensions
def on_config(config):
    """The navigation, from what is on disk: every numbered tutorial, every docs/*.md page;
    and the doctest blocks extension (for pages and docstrings alike)."""
    config.markdown_extensions.append(doctest_extension())
    docs = sorted(p for p in (ROOT / "docs").glob("*.md"))
    config.nav = [
        {"Home": "index.md"},
        {"Tutorials": ["tutorials/README.md"] + [{_title(p): f"tutorials/{p.stem}.ipynb"} for p in _tutorial_scripts()]},
        {"Reference": [{"Equations": "tutorials/equations.md"}, {"Source documents": "tutorials/documents.md"},
                       {"Glossary": "tutorials/glossary.md"}]},
        {"Guides": [{_title(p): p.name} for p in docs]},
        {"API": [f"api/{p.name}" for p in sorted((ROOT / "docs" / "api").glob("*.md"))]},
    ]
    return config


def _tutorial_scripts():
    return sorted(p for p in TUTORIALS.glob("[0-9][0-9]_*.py"))


@event_priority(100)  # before mkdocs-jupyter's on_files, which must see the notebooks added here
def on_files(files, config):
    """Add the pages, figures and executed tutorials that live outside docs/, and a page for
    every repository file that one of them links to."""
    from mkdocs.structure.files import File, InclusionLevel

    def add(src_uri, content=None, abs_src_path=None, inclusion=InclusionLevel.INCLUDED):
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, content=content, abs_src_path=abs_src_path,
                                        inclusion=inclusion))

    add("index.md", abs_src_path=str(ROOT / "README.md"))
    for page in sorted(TUTORIALS.glob("*.md")):
        add(f"tutorials/{page.name}", abs_src_path=str(page))
    for figure in sorted((TUTORIALS / "figures").glob("*.png")):
        add(f"tutorials/figures/{figure.name}", abs_src_path=str(figure))
    scripts = _tutorial_scripts()
    site_files = {f.src_uri for f in files} | {f"tutorials/{p.stem}.ipynb" for p in scripts}
    with ThreadPoolExecutor(max_workers=int(os.environ.get("TINYNN_DOCS_JOBS", "2"))) as pool:
        executed = list(pool.map(executed_notebook, scripts))
    prose = [(os.path.dirname(f.src_uri), f.content_string) for f in list(files) if f.src_uri.endswith(".md")]
    for script, notebook in zip(scripts, executed):
        rel = f"tutorials/{script.stem}.ipynb"
        shown = CACHE / "pages" / rel  # mkdocs-jupyter reads notebooks from a real source folder
        shown.parent.mkdir(parents=True, exist_ok=True)
        shown.write_text(prepare_notebook(notebook, rel, site_files), encoding="utf-8")
        if files.get_file_from_path(rel) is None:
            files.append(File(rel, str(CACHE / "pages"), config.site_dir, config.use_directory_urls))
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        prose += [("tutorials", "".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]
    for page_dir, markdown in prose:  # a page for each repository file the prose links to
        for target in re.findall(r"\]\(([^)\s#]+)", rewrite_links(markdown, page_dir, site_files)):
            resolved = os.path.normpath(os.path.join(page_dir, target)).replace(os.sep, "/")
            if resolved.startswith("source/"):
                rel = resolved[len("source/"):]
                rel = rel[:-len("/index.md")] if rel.endswith("/index.md") else rel[:-len(".md")]
                add(resolved, content=source_page(rel), inclusion=InclusionLevel.NOT_IN_NAV)  # linked, not listed
    return files


def on_page_markdown(markdown, page, config, files):
    """Math to MathML and links to what the site has, on every Markdown page."""
    src = page.file.src_uri
    if src.startswith("source/"):
        return markdown  # a repository file shown as it is
    markdown = rewrite_links(markdown, os.path.dirname(src), {f.src_uri for f in files})
    return render_math(markdown, src)


_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)


def on_post_page(output, page, config):
    """Drop the MathJax loader nbconvert's template puts in notebook pages: the math is MathML
    already, and the CDN it names is not reachable offline."""
    return _MATHJAX.sub("", output)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "execute":
    execute(sys.argv[2], sys.argv[3])
