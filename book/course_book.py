"""A small Sphinx extension for the course site: figure images get the alt text their output
carries, and headings the anchors JupyterLab gives them."""

import base64
import hashlib
import json
from pathlib import Path


def lab_anchor(text: str) -> str:
    """JupyterLab's anchor for a heading: its text with spaces as hyphens.

    >>> lab_anchor("The blow-up clock: predict, then run")
    'The-blow-up-clock:-predict,-then-run'
    """
    return text.strip().replace(" ", "-")


def figure_alt_text(app, doctree):
    """Set each output image's alt text from its output metadata (computed from the figure's
    titles when the lesson ran, see tests/notebook_runner.py). myst-nb names an output image by
    the SHA-256 of its bytes, which is how an image is matched with its output."""
    source = Path(app.srcdir) / f"{app.env.docname}.ipynb"
    if not source.exists():
        return
    alts = {}
    for cell in json.loads(source.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            alt = out.get("metadata", {}).get("image/png", {}).get("alt")
            if alt and "image/png" in out.get("data", {}):
                png = base64.b64decode("".join(out["data"]["image/png"]))
                alts[hashlib.sha256(png).hexdigest()] = alt
    for image in doctree.findall(lambda node: node.tagname == "image"):
        if Path(image["uri"]).stem in alts:
            image["alt"] = alts[Path(image["uri"]).stem]


def setup(app):
    app.connect("doctree-read", figure_alt_text)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
