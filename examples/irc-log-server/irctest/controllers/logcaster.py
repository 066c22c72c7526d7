"""irctest controller for logcaster's example IRC log server (examples/irc-log-server).

Which checkout, and how the server is started, come from the environment (run.sh sets them):

  LOGCASTER_CHECKOUT   the checkout of the project (required)
  LOGCASTER_BUNDLE     a bundle of main.ts built by run.sh (esbuild, plain `node` runs it);
                       when unset, the server is started through the checkout's tsx
  LOGCASTER_ENTRY      entry point, relative to the checkout
                       (default examples/irc-log-server/main.ts; only used without a bundle)
  LOGCASTER_EXTRA_ARGS extra command-line flags for the server (split on spaces)

Every server listens on 127.0.0.1 only, in its own process group, and dies with pytest
(PR_SET_PDEATHSIG) even if pytest is killed without running its teardown.
"""

import ctypes
import os
import signal
import socket
from typing import Optional, Set, Tuple, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities

LOOPBACK = "127.0.0.1"
PR_SET_PDEATHSIG = 1


def free_loopback_port() -> Tuple[str, int]:
    """A free port on 127.0.0.1 (irctest's own helper binds every interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return (LOOPBACK, s.getsockname()[1])


def new_session_dying_with_parent() -> None:
    """preexec_fn: own process group (irctest kills the group) and SIGKILL when pytest dies."""
    os.setsid()
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class LoopbackPortsMixin:
    """Hands out 127.0.0.1 ports, keeping irctest's bookkeeping of used ports."""

    def get_hostname_and_port(self) -> Tuple[str, int]:
        with self._used_ports() as used_ports:  # type: ignore[attr-defined]
            while True:
                hostname, port = free_loopback_port()
                if (hostname, port) not in used_ports:
                    break
            used_ports.add((hostname, port))
            self._own_ports.add((hostname, port))  # type: ignore[attr-defined]
        return (hostname, port)


class LogcasterController(LoopbackPortsMixin, BaseServerController, DirectoryBasedController):
    software_name = "logcaster irc-log-server"
    supported_sasl_mechanisms: Set[str] = set()
    supports_sts = False
    # What the server lists in CAP LS (irc/commands/registration.ts) and irctest knows:
    # a NAK for one of these is a failure, not a skip.
    capabilities = frozenset(
        {
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
        }
    )

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")
        if run_services:
            raise NotImplementedByController("services")
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()  # a temp dir, the server's working directory
        assert self.directory

        checkout = os.environ["LOGCASTER_CHECKOUT"]
        bundle = os.environ.get("LOGCASTER_BUNDLE")
        if bundle:
            command = ["node", bundle]
        else:
            entry = os.environ.get("LOGCASTER_ENTRY", "examples/irc-log-server/main.ts")
            command = [os.path.join(checkout, "node_modules", ".bin", "tsx"), os.path.join(checkout, entry)]

        args = [
            "--server-name", "My.Little.Server",
            "--irc-host", LOOPBACK,
            "--irc-port", str(port),
            "--ingest-port", "off",
            "--http-port", "off",
            "--no-demo",
            "--no-colour",
            # irctest sends bursts far past a human's pace; flood control would only add lag.
            "--flood-lines", "100000",
            "--flood-per-second", "100000",
            # Not --shutdown-grace-ms 0: it is also each closing client's grace, and at 0 a
            # rejected client's 464/ERROR is destroyed with the socket before it is written.
        ]
        if password:
            args += ["--password", password]
        args += os.environ.get("LOGCASTER_EXTRA_ARGS", "").split()

        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGCASTER_")}
        # tsx reads tsconfig.json (the `logcaster` path alias) from its working directory; the
        # server itself writes no files, and a bundle runs from an empty temp dir.
        self.proc = self.execute(
            [*command, *args],
            proc_name="logcaster",
            cwd=self.directory if bundle else checkout,
            env=env,
            preexec_fn=new_session_dying_with_parent,
        )


    def kill_proc(self) -> None:
        """SIGKILL to the server's process group: a graceful shutdown would wait up to the
        2 s grace for the test's clients (still connected at tearDown) on every test."""
        assert self.proc
        if not self._terminate_process_group(signal.SIGKILL):
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.proc = None


def get_irctest_controller_class() -> Type[LogcasterController]:
    return LogcasterController
