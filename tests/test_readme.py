"""README.rst stays true: its catalogue table is the code's (its examples run as doctests)."""

from __future__ import annotations

from pathlib import Path

import commerce_events
from commerce_events._cli import catalogue_as_rst

README = Path(__file__).parent.parent / "README.rst"


class TestCatalogueTable:
    def test_matches_the_code(self):
        """The README's catalogue tables are exactly what the code generates."""
        text = README.read_text(encoding="utf-8")
        start = text.index(".. -begin-catalogue-\n\n") + len(".. -begin-catalogue-\n\n")
        end = text.index(".. -end-catalogue-")
        built_ins = [
            spec
            for spec in commerce_events.catalogue()
            if spec.payload_type.__module__ == "commerce_events._catalogue"
        ]

        assert catalogue_as_rst(built_ins).strip() == text[start:end].strip()
