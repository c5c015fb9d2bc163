"""``xlspv serve``: an xlwings Server hosting the functions of ``udfs.py``, with the manifest Excel needs.

xlwings Server (the ``xlwings-server`` package, ``pip install "xlspv[server]"``) is a FastAPI app that
serves an Office.js add-in: the manifest (``/manifest.xml``), the custom functions' metadata
(``/xlwings/custom-functions-meta.json``) and code (``/xlwings/custom-functions-code.js``), and the call
endpoint (``POST /xlwings/custom-functions-call``). It finds the functions in a module named
``custom_functions``; here that module is ``udfs`` itself, so nothing is copied or generated.

xlwings Server is licensed under the PolyForm Noncommercial License 1.0.0 unless the user holds a paid
xlwings licence; it refuses to run functions without ``XLWINGS_LICENSE_KEY`` (``noncommercial`` for
non-commercial use). xlspv never sets the key: the user chooses the licence (``docs/excel.md``).
Settings are xlwings Server's own environment variables (``XLWINGS_ENVIRONMENT``,
``XLWINGS_FUNCTIONS_NAMESPACE``, ``XLWINGS_HOSTNAME`` ...); a project folder's ``.env`` is not read.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ServerError

LICENSE_HELP = (
    "xlwings Server needs XLWINGS_LICENSE_KEY: set it to 'noncommercial' for non-commercial use (PolyForm "
    "Noncommercial License 1.0.0) or to your paid xlwings licence key, e.g. "
    "XLWINGS_LICENSE_KEY=noncommercial xlspv serve"
)


def check_ready() -> None:
    """Refuse to start without xlwings Server installed or without a licence key, with the fix."""
    if importlib.util.find_spec("xlwings_server") is None:
        raise ServerError(
            'xlwings Server is not installed; install it with: pip install "xlspv[server]" '
            "(xlwings-server, PolyForm Noncommercial unless you hold an xlwings licence)."
        )
    if not os.environ.get("XLWINGS_LICENSE_KEY", "").strip():
        raise ServerError(LICENSE_HELP + ".")


#: xlwings Server's project folder, where it looks for overrides (``config.py``, ``.env``, ``static/``,
#: ``routers/``, ``lifespan.py``): a folder that does not exist, so only the package's own files serve
#: and nothing has to be created or cleaned up.
NO_PROJECT_DIR = Path(__file__).resolve().parent / "no-xlwings-server-project"


def build_app(project_dir: str | os.PathLike[str] = NO_PROJECT_DIR) -> Any:
    """xlwings Server's ASGI app with ``udfs`` as its ``custom_functions`` module."""
    xlwings = sys.modules.get("xlwings")
    if xlwings is not None and not getattr(xlwings, "on_server", False):
        raise ServerError(
            "xlwings was imported before the server set XLWINGS_ON_SERVER; start the server in a fresh "
            "process (xlspv serve)."
        )
    # Both before the first import of xlwings: it picks its Office.js decorators once, at import.
    os.environ["XLWINGS_ON_SERVER"] = "true"
    os.environ["XLWINGS_PROJECT_DIR"] = str(project_dir)
    import udfs

    sys.modules["custom_functions"] = udfs  # xlwings Server imports its functions by this name
    from xlwings_server.main import main_app

    return main_app


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    ssl_keyfile: str | None = None,
    ssl_certfile: str | None = None,
) -> None:
    """Run xlwings Server with xlspv's functions until interrupted (Ctrl+C or SIGTERM).

    Parameters
    ----------
    host : str
        Interface to listen on; 127.0.0.1 (this machine only) by default.
    port : int
        TCP port, default 8000.
    ssl_keyfile, ssl_certfile : str, optional
        A TLS key and certificate: Excel loads Office.js add-ins over HTTPS only (a reverse proxy
        that terminates TLS works too).
    """
    check_ready()
    import uvicorn

    app = build_app()
    uvicorn.run(
        app, host=host, port=port, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile, log_level="info"
    )
