"""Sphinx configuration of the course website (``make site``): myst-nb reads the lessons as
executed by ``tests/notebook_runner.py`` (``nb_execution_mode = "off"``: nothing runs here), and
sphinx-book-theme gives the sidebar, search, page contents, previous/next and the buttons.

``tools/publish.py site`` stages the lessons and pages into ``build/book-src`` and MathJax 2 (from
the installed jupyter-server-mathjax) into ``build/book-assets``; nothing is loaded from a CDN.
"""

import sys
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["course"]

project = "Why does a learning rate ten times too large blow training up?"
author = "the course authors"
copyright = "the course authors; code MIT, lesson text CC BY 4.0"
sys.path.insert(0, str(Path(__file__).parent))
extensions = ["myst_nb", "course_book"]  # course_book.py: alt text of figure images
exclude_patterns = ["**.ipynb_checkpoints"]

# Lessons come executed (the tests' cache); widgets were turned into their static image.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget manager (it would come from a CDN)
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# JupyterLab's heading anchors, so links written for JupyterLab (``01_x.ipynb#Try-it``) work here.
myst_heading_slug_func = "course_book.lab_anchor"

# MathJax 2 from the build folder, with the STIX-Web fonts it ships; it typesets only the math
# (myst-nb marks the rest of the page tex2jax_ignore).
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
mathjax2_config = {"HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web",
                                "imageFont": None, "linebreaks": {"automatic": True}},
                   "SVG": {"font": "STIX-Web"},
                   "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]],
                               "processEscapes": True, "processClass": "math|output_area",
                               "ignoreClass": "tex2jax_ignore|mathjax_ignore"}}

html_theme = "sphinx_book_theme"
html_title = "Learning rate blow-up: a course"
html_static_path = ["_static", str(ROOT / "build" / "book-assets")]
html_css_files = ["course.css"]
templates_path = ["_templates"]
# The theme's sidebar, with its logo and title wrapped in a landmark (_templates/course-logo.html).
html_sidebars = {"**": ["course-logo.html", "icon-links.html", "search-button-field.html", "sbt-sidebar-nav.html"]}
html_show_sourcelink = False
html_theme_options = {
    "repository_url": f"https://github.com/{COURSE['repository']}",
    "repository_branch": COURSE["branch"],
    "path_to_docs": "notebooks",
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    # The one launch service the course is tested on (environment.yml + postBuild).
    "launch_buttons": {"binderhub_url": "https://mybinder.org", "notebook_interface": "jupyterlab"},
}
