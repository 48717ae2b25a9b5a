"""MkDocs hook: replaces a line ``<!-- schema-reference: NAME -->`` with a reference generated from
``schemas/NAME.schema.json``.

This placeholder leaves every page unchanged (the marker is an HTML comment, so it renders as nothing);
the generating hook replaces it.
"""

from __future__ import annotations

from typing import Any


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return markdown
