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
    PageSpec("browse.py", "MGID browser", ":material/photo_library:", "browse"),
    PageSpec("audit.py", "Data audit", ":material/fact_check:", "audit"),
    PageSpec("annotate.py", "Annotation", ":material/edit_note:", "annotate"),
    PageSpec("agreement.py", "Agreement", ":material/groups:", "agreement"),
    PageSpec("upload.py", "Upload & predict", ":material/upload:", "upload"),
    PageSpec("explain.py", "Explain", ":material/insights:", "explain"),
    PageSpec("runs.py", "Runs", ":material/model_training:", "runs"),
    PageSpec("errors.py", "Error analysis", ":material/bug_report:", "errors"),
    PageSpec("compare.py", "Compare runs", ":material/compare_arrows:", "compare"),
    PageSpec("label_issues.py", "Label issues", ":material/report:", "label-issues"),
    PageSpec("admin.py", "Admin", ":material/admin_panel_settings:", "admin"),
)


def find_page(url_path: str) -> PageSpec | None:
    """The registered page with this url_path, or None while it is not in the menu."""
    return next((spec for spec in PAGES if spec.url_path == url_path), None)
