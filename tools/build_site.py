"""Build the course as static HTML pages (``make site``): every lesson executed, offline.

Each ``notebooks/NN_*.ipynb`` is executed top to bottom with nbclient (results cached in
``build/executed/``, keyed by the notebook and the helper package, so ``make slides`` reuses
them), then exported with nbconvert. Widgets cannot run without a kernel, so each widget output
shows the static image it carries (the slider apps and ipympl figures attach a PNG of the figure).
Nothing is loaded from the network: MathJax is copied from the installed
``jupyter-server-mathjax`` package, and nbconvert's CDN scripts (require.js, the widget manager,
mermaid) are left out. ``index.html`` links the lessons in order, titled by each lesson's first
heading.

Usage: ``python tools/build_site.py [--out _site] [--timeout 900]``
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from notebook_runner import executed  # noqa: E402  (one execution cache for tests, site and slides)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
CACHE_DIR = ROOT / "build" / "executed"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(An interactive widget: run this notebook in JupyterLab to use it.)"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"

# nbconvert's lab template, minus everything it would fetch from a CDN, plus lesson navigation.
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
@MATHJAX_FONTS@
{{ super() }}
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}
<style>
nav.course-nav { display: flex; justify-content: space-between; gap: 1em; max-width: 1100px;
  margin: 0.5em auto; padding: 0.6em 1em; font-family: sans-serif; font-size: 14px;
  border-bottom: 1px solid #ddd; }
nav.course-nav:last-of-type { border-top: 1px solid #ddd; border-bottom: none; }
nav.course-nav a { text-decoration: none; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.course_nav }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.course_nav }}
{{ super() }}
{% endblock body_footer %}
"""

# jupyter-server-mathjax ships only the STIX-Web fonts: tell MathJax to use them.
MATHJAX_FONTS = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({"HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web",
                                 imageFont: null},
                    SVG: {font: "STIX-Web"}});
</script>"""
PAGE_TEMPLATE = PAGE_TEMPLATE.replace("@MATHJAX_FONTS@", MATHJAX_FONTS)


def lesson_paths(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The lessons in course order: ``NN_*.ipynb`` (stops the build if there are none)."""
    paths = sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise SystemExit(f"no lessons found in {notebook_dir}")
    return paths


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The text of the notebook's first Markdown heading, without Markdown marks."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            match = re.match(r"\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
            if match:
                text = re.sub(r"[`*_]|\$", "", match.group(1))
                return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip()
    return fallback


def static_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Show each widget as the static picture it carries; drop saved widget state.

    A widget output keeps its ``image/png`` or ``text/html`` fallback (an ipympl canvas carries
    an HTML ``<img>`` of the figure); one with only ``text/plain`` gets a short note instead.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data or WIDGET_VIEW not in data:
                continue
            del data[WIDGET_VIEW]
            if not set(data) - {"text/plain"}:
                data["text/plain"] = WIDGET_NOTE
    return nb


def _repository_url() -> str | None:
    try:
        course = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["course"]
        return f"https://github.com/{course['repository']}/blob/{course['branch']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None


_LINK = re.compile(r"(\]\()([^)\s]+)(\))|(href=[\"'])([^\"']+)([\"'])")


def fix_links(nb: nbformat.NotebookNode, lesson_names: set[str], notebook_dir: Path,
              out_dir: Path) -> nbformat.NotebookNode:
    """Point relative links of Markdown cells at the site's pages, or at the repository.

    ``NN_name.ipynb`` -> ``NN_name.html``; a link to another file of the repository goes to
    that file on GitHub; a relative image is copied beside the pages.
    """
    repo_url = _repository_url()

    def rewrite(target: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "/")):
            return target
        path, _, anchor = target.partition("#")
        anchor = f"#{anchor}" if anchor else ""
        if Path(path).name in lesson_names and path.endswith(".ipynb"):
            return Path(path).with_suffix(".html").name + anchor
        local = (notebook_dir / path).resolve()
        if local.is_file() and local.is_relative_to(notebook_dir.resolve()):
            destination = out_dir / local.relative_to(notebook_dir.resolve())
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(local, destination)
            return target
        if repo_url and local.exists() and local.is_relative_to(ROOT):
            return f"{repo_url}/{local.relative_to(ROOT).as_posix()}{anchor}"
        return target

    def replace(match: re.Match) -> str:
        if match.group(2) is not None:
            return match.group(1) + rewrite(match.group(2)) + match.group(3)
        return match.group(4) + rewrite(match.group(5)) + match.group(6)

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LINK.sub(replace, cell.source)
    return nb


def copy_mathjax(out_dir: Path) -> str:
    """Copy MathJax 2 from the installed jupyter-server-mathjax; return the page's script URL."""
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    shutil.copytree(source, out_dir / "_static" / "mathjax", dirs_exist_ok=True)
    return f"_static/mathjax/MathJax.js?config={MATHJAX_CONFIG}"


def nav_html(lessons: list[tuple[str, str]], index: int) -> str:
    """Previous / contents / next links for lesson ``index`` of ``lessons`` ((page, title) pairs)."""
    def link(i, arrow_left):
        if not 0 <= i < len(lessons):
            return "<span></span>"
        page, title = lessons[i]
        text = f"← {title}" if arrow_left else f"{title} →"
        return f'<a href="{html.escape(page)}">{html.escape(text)}</a>'
    return (f'<nav class="course-nav">{link(index - 1, True)}'
            f'<a href="index.html">Contents</a>{link(index + 1, False)}</nav>')


INDEX_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 760px; margin: 3em auto; padding: 0 1em; line-height: 1.5; color: #222; }}
h1 {{ font-size: 1.7em; }}
ol {{ padding-left: 1.4em; }}
li {{ margin: 0.5em 0; }}
.built {{ color: #777; font-size: 0.85em; margin-top: 3em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<ol class="lessons">
{items}
</ol>
<p class="built">Built {built} from the notebooks, executed top to bottom. The figures are static snapshots:
run the notebooks in JupyterLab (<code>make lab</code>) to move the sliders.</p>
</body>
</html>
"""


@contextmanager
def staged(out_dir: Path, prefix: str):
    """A private folder beside ``out_dir`` to build into; it replaces ``out_dir`` whole on success,
    and is removed on failure, so a failed build never leaves half a site behind."""
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    try:
        yield staging
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.chmod(0o755)  # mkdtemp makes it private
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def cli(argv, description: str, default_out: Path, build) -> int:
    """The command line shared by ``build_site.py`` and ``build_slides.py``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    parser.add_argument("--no-cache", action="store_true", help="execute every notebook afresh")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    print(f"building into {out}")
    for path in build(out, args.timeout, None if args.no_cache else CACHE_DIR):
        print(f"  wrote {path.relative_to(out)}")
    print(f"open {out / 'index.html'}")
    return 0


def build_site(out_dir: Path = ROOT / "_site", timeout: int = 900,
               cache_dir: Path | None = CACHE_DIR, notebook_dir: Path = NOTEBOOK_DIR,
               log=print) -> list[Path]:
    """Build the site into ``out_dir`` (replaced whole); return the pages written, index first."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    paths = lesson_paths(notebook_dir)
    with staged(out_dir, ".site-") as staging:
        mathjax_url = copy_mathjax(staging)
        notebooks = [executed(path, timeout, cache_dir, log) for path in paths]
        titles = [title_of(nb, path.stem) for nb, path in zip(notebooks, paths)]
        lessons = [(path.with_suffix(".html").name, title) for path, title in zip(paths, titles)]
        exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"course.html.j2": PAGE_TEMPLATE})],
                                template_file="course.html.j2", mathjax_url=mathjax_url)
        names = {path.name for path in paths}
        pages = [staging / "index.html"]
        for i, (nb, path) in enumerate(zip(notebooks, paths)):
            nb = fix_links(static_outputs(nb), names, notebook_dir, staging)
            nb.metadata["title"] = titles[i]
            body, _ = exporter.from_notebook_node(
                nb, resources={"metadata": {"name": path.stem}, "course_nav": nav_html(lessons, i)})
            page = staging / lessons[i][0]
            page.write_text(body, encoding="utf-8")
            pages.append(page)
        items = "\n".join(f'<li><a href="{html.escape(page)}">{html.escape(title)}</a></li>'
                          for page, title in lessons)
        course_title = "Why does a learning rate ten times too large blow training up?"
        intro = ("A course in Jupyter notebooks: gradient descent on a parabola, on a badly "
                 "conditioned bowl, and on a real network, with every prediction measured.")
        (staging / "index.html").write_text(INDEX_PAGE.format(
            title=html.escape(course_title), intro=html.escape(intro), items=items,
            built=time.strftime("%Y-%m-%d")), encoding="utf-8")
    return [out_dir / page.name for page in pages]


def main(argv=None) -> int:
    return cli(argv, "Build the course as static HTML pages.", ROOT / "_site", build_site)


if __name__ == "__main__":
    sys.exit(main())
