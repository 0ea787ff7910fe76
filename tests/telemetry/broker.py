"""A real Mosquitto for one test: its own free port, its own config, started, stopped and restarted at will."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise RuntimeError("mosquitto is not installed: .ci/run installs it (apt-get install mosquitto)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    def __init__(
        self,
        folder: Path,
        *,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        persistent: bool = False,
        tls: tuple[Path, Path, Path] | None = None,
        websockets: bool = False,
    ) -> None:
        """`persistent`: sessions and retained messages survive a stop and start, as on a lab's real broker;
        `tls`: (CA, certificate, key) files, and the listener speaks TLS only; `websockets`: a second listener
        for browsers on `ws_port` (Mosquitto 2.0 binds it on every interface, and only beside a plain one)."""
        self.folder = folder
        self.port = free_port()
        self.ws_port = free_port() if websockets else None
        self.config = folder / "mosquitto.conf"
        # as root, Mosquitto would drop to its own user and lose access to the test's private folder
        lines = [
            f"listener {self.port} 127.0.0.1",
            "log_dest stderr",
            "log_type error",
            f"user {getpass.getuser()}",
        ]
        lines += (
            [f"persistence true\npersistence_location {folder}/"] if persistent else ["persistence false"]
        )
        if tls is not None:
            lines += [f"cafile {tls[0]}", f"certfile {tls[1]}", f"keyfile {tls[2]}"]
        if users is None:
            lines.append("allow_anonymous true")
        else:
            passwords = folder / "passwords"
            passwords.write_text("")
            for user, password in users.items():
                subprocess.run(
                    [_passwd_binary(), "-b", str(passwords), user, password], check=True, capture_output=True
                )
            passwords.chmod(0o600)
            lines += ["allow_anonymous true", f"password_file {passwords}"]
        if acl is not None:
            (folder / "acl").write_text(acl)
            (folder / "acl").chmod(0o600)
            lines.append(f"acl_file {folder / 'acl'}")
        if self.ws_port is not None:
            lines += [f"listener {self.ws_port}", "protocol websockets"]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        assert self.ws_port is not None, "started without websockets=True"
        return f"ws://127.0.0.1:{self.ws_port}"

    def start(self) -> None:
        log = (self.folder / "mosquitto.log").open("ab")
        self.process = subprocess.Popen([mosquitto_binary(), "-c", str(self.config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        ports = [p for p in (self.port, self.ws_port) if p is not None]
        while time.monotonic() < deadline:
            try:
                for port in ports:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"mosquitto exited: {(self.folder / 'mosquitto.log').read_text()}"
                    ) from None
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def stall(self) -> None:
        """Frozen, not gone: connections stay open and nothing is read or answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def unstall(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


def _passwd_binary() -> str:
    found = shutil.which("mosquitto_passwd") or shutil.which(
        "mosquitto_passwd", path="/usr/sbin:/usr/local/sbin"
    )
    if found is None:
        raise RuntimeError("mosquitto_passwd is not installed (it comes with the mosquitto package)")
    return found
