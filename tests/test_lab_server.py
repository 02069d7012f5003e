"""`make lab` serves on 127.0.0.1 only and asks for a token."""

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_code(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket LISTENing on ``port``, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # 0A = LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def lab():
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_TOKEN=token)
    server = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_PORT={port}",
                               "LAB_FLAGS=--no-browser"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            if server.poll() is not None:
                pytest.fail(f"make lab exited with {server.returncode}")
            try:
                if status_code(f"{base}/api/status?token={token}") == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 120 s")
        yield base, token, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_status_needs_the_token(lab):
    base, token, _ = lab
    assert status_code(f"{base}/api/status") == 403
    assert status_code(f"{base}/api/status?token=wrong") == 403
    assert status_code(f"{base}/api/status?token={token}") == 200


def test_listens_on_loopback_only(lab):
    _, _, port = lab
    addresses = listening_addresses(port)
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    assert addresses and addresses <= loopback, f"listening on {addresses}"


def test_makefile_never_disables_the_token_or_widens_the_address():
    text = (ROOT / "Makefile").read_text()
    assert "--ServerApp.ip=127.0.0.1" in text
    for forbidden in ("token=''", 'token=""', "token= ", "0.0.0.0", "disable_check_xsrf"):
        assert forbidden not in text
