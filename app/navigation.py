"""The dashboard's pages in menu order; streamlit_app.py and the browser smoke test read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str  # inside app/pages/
    title: str
    icon: str
    url_path: str
    default: bool = False

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home.py", "Home", ":material/home:", "home", default=True),
    PageSpec("annotate.py", "Annotation", ":material/edit_note:", "annotate"),
    PageSpec("agreement.py", "Agreement", ":material/groups:", "agreement"),
)
