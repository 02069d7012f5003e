"""Accessibility checks with axe-core in a Playwright page.

axe-core (MPL-2.0) ships inside the ``axe-playwright-python`` package (MIT), so the test extra
installs it from PyPI and nothing is fetched at run time. Used by the site and slides tests, and
meant for any browser test: ``violations_by_impact(page)`` after the page has settled.

Blocking impacts are ``critical`` and ``serious``; ``moderate`` and ``minor`` are reported.
"""

from __future__ import annotations

IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")


def violations_by_impact(page, context: str | None = None) -> dict[str, list[dict]]:
    """Run axe-core on ``page`` (or on the elements matching the CSS selector ``context``).

    Returns every impact in :data:`IMPACTS` mapped to its violations, each
    ``{"id", "help", "nodes": [CSS selector of each offending element, ...]}``.
    """
    from axe_playwright_python.sync_playwright import Axe

    found = {impact: [] for impact in IMPACTS}
    # No preload: axe would re-fetch every style sheet itself (resolving @imports against the
    # page's address, which makes 404s the page never made) for one rule, css-orientation-lock.
    options = {"resultTypes": ["violations"], "preload": False}
    for rule in Axe().run(page, context=context, options=options).response["violations"]:
        found[rule.get("impact") or "minor"].append(
            {"id": rule["id"], "help": rule["help"],
             "nodes": [" ".join(map(str, node["target"])) for node in rule["nodes"]]})
    return found


def counts(found: dict[str, list[dict]]) -> dict[str, int]:
    """Number of offending elements per impact."""
    return {impact: sum(len(rule["nodes"]) for rule in rules) for impact, rules in found.items()}


def blocking(found: dict[str, list[dict]]) -> str:
    """A readable list of the critical and serious violations ('' when there are none)."""
    return "\n".join(f"{impact}: {rule['id']} ({rule['help']}): {', '.join(rule['nodes'][:5])}"
                     for impact in BLOCKING for rule in found[impact])
