"""``rung dashboard``: the app served by uvicorn on a socket bound here first, so that a port
in use is one line, not a traceback, and the address printed already accepts connections."""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Sequence

from rung.errors import ConfigError


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (0: any free port) and listening."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: a port is a number from 0 to 65535 (0: any free one)")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    # Answers are small: sent at once, not held back for more (Nagle's algorithm against a
    # client's delayed acknowledgement costs 40 ms a request). Accepted sockets inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is in use: pass --port N") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return sock


def serve(folders: Sequence[str | os.PathLike], host: str = "127.0.0.1", port: int = 8080) -> int:
    """Serve the dashboard of ``folders`` on ``host:port`` until interrupted."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError("the dashboard needs uvicorn: pip install 'rung[dashboard]'") from None
    from rung.dashboard.app import create_app

    app = create_app(folders)  # names a folder that is no experiment before listening
    sock = listening_socket(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"rung dashboard: http://{shown}:{sock.getsockname()[1]}/ (Ctrl-C to stop)", flush=True)
    # Charts are drawn in worker threads while requests are answered on the event loop: a
    # short switch interval hands the loop the interpreter sooner (at the default 5 ms, a
    # request that waits on its socket a few times took 20 times as long during a drawing).
    sys.setswitchinterval(0.0005)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
    return 0
