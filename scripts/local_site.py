"""A built site served on this machine, and the Chromium to open it with.

Shared by the browser test (``tests/test_browser.py``) and ``bench/page_weight.py``. It is
a script module, not part of the ``analysis`` package: building the book needs no browser.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def chromium_path() -> str | None:
    """The Chromium executable: ``$CHROMIUM_PATH``, else ``chromium`` on PATH, else None."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request
        pass


@contextmanager
def serve(folder: Path | str) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while in the block; yields its URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
