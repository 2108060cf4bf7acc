"""``rung dashboard``: the app served by uvicorn, with the port checked first so that a port
in use is one line, not a traceback."""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Sequence

from rung.errors import ConfigError


def serve(folders: Sequence[str | os.PathLike], host: str = "127.0.0.1", port: int = 8080) -> int:
    """Serve the dashboard of ``folders`` on ``host:port`` until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("the dashboard needs uvicorn: pip install 'rung[dashboard]'") from None
    from rung.dashboard.app import create_app

    app = create_app(folders)  # names a folder that is no experiment before binding
    probe = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        probe.bind((host, port))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is in use: pass --port N") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    finally:
        probe.close()
    print(f"rung dashboard: http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
