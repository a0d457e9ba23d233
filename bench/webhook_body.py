"""What a large unsigned chunked POST costs `main.py serve`: memory and bytes read.

    python3 bench/webhook_body.py [MEGABYTES] [--path /webhooks/whatsapp]

Starts the real server (`main.py serve`, WhatsApp and Telegram webhooks enabled with dummy
credentials; nothing is sent anywhere) on a free local port, then sends one POST with
``Transfer-Encoding: chunked`` and no Content-Length and no signature, MEGABYTES (default
400) of body in 64 KiB chunks over a raw socket, stopping when the server answers or closes.
Prints the server's resident memory (VmRSS) before and after and its peak (VmHWM), how much
the client managed to send, and the status line it got. Not a test: figures vary by machine.
Before the body cap: 60 MB -> 880 MB for 400 MB; with it the server answers 413 after the
first MiB (`server.max_body_bytes`) and closes the connection.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 64 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of ``pid`` in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024
    return found


def write_config(folder: Path, port: int) -> Path:
    config = {
        "flows": {"dir": str(ROOT / "flows"), "entry": "main"},
        "locales": str(ROOT / "locales"),
        "data": {"markets": str(ROOT / "data" / "markets.yaml"),
                 "catalog": str(ROOT / "data" / "catalog.yaml")},
        "storage": {"backend": "tinydb", "path": str(folder / "data")},
        "server": {"host": "127.0.0.1", "port": port},
        "whatsapp": {"enabled": True, "access_token": "bench", "phone_number_id": "1",
                     "app_secret": "bench-secret", "verify_token": "bench-verify",
                     "api_base_url": "http://127.0.0.1:9/v21.0"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def wait_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def post_chunked(port: int, path: str, megabytes: int) -> tuple[int, str]:
    """Bytes of body sent, and the status line (or how the connection ended)."""
    sent = 0
    chunk = b"x" * CHUNK
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n".encode())
        s.settimeout(0.0)
        try:
            while sent < megabytes * (1 << 20):
                try:
                    answer = s.recv(200)
                    if answer or answer == b"":
                        return sent, (answer.split(b"\r\n")[0].decode() or "closed")
                except BlockingIOError:
                    pass
                s.settimeout(5.0)
                s.sendall(frame)
                s.settimeout(0.0)
                sent += len(chunk)
            s.settimeout(5.0)
            s.sendall(b"0\r\n\r\n")
            return sent, s.recv(200).split(b"\r\n")[0].decode() or "closed"
        except (BrokenPipeError, ConnectionResetError) as exc:
            return sent, f"connection ended by the server ({type(exc).__name__})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", type=int, nargs="?", default=400)
    parser.add_argument("--path", default="/webhooks/whatsapp")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(Path(tmp), port)
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--config", str(config), "serve"],
            cwd=tmp, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_up(port)
            before = memory(server.pid)
            started = time.monotonic()
            sent, status = post_chunked(port, args.path, args.megabytes)
            took = time.monotonic() - started
            time.sleep(0.5)
            after = memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"POST {args.path}, chunked, unsigned, {args.megabytes} MB offered")
    print(f"  client sent      {sent / (1 << 20):8.1f} MB in {took:.2f} s")
    print(f"  answer           {status}")
    print(f"  server RSS       {before['VmRSS']} MB before, {after['VmRSS']} MB after, "
          f"peak {after['VmHWM']} MB")


if __name__ == "__main__":
    main()
