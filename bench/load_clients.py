"""Keep-alive HTTP load over loopback for bench/api.py: `wrk` when installed, else Python
threads. Each client posts one body to one URL for a duration and returns its throughput
and latency percentiles."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = %(body)s
local auth = %(auth)s
local counter = 0
local tid = 0
local next_tid = 0
function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end
function request()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Host"] = wrk.headers["Host"]}
  if auth ~= "" then
    headers["Authorization"] = auth
    headers["Idempotency-Key"] = string.format("%(run)s-%%d-%%d", tid, counter)
  end
  return wrk.format(nil, nil, headers, nil)
end
"""


def run_wrk(url: str, body: str, auth: str, clients: int, duration: float) -> dict[str, float]:
    run = secrets.token_hex(4)
    script = WRK_SCRIPT % {"body": json.dumps(body), "auth": json.dumps(auth), "run": run}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{clients}",
                f"-d{max(1, round(duration))}s",
                "--latency",
                "-s",
                handle.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 30,
        ).stdout
    finally:
        os.unlink(handle.name)

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def run_python(url: str, body: str, auth: str, clients: int, duration: float) -> dict[str, float]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        failed = 0
        counter = 0
        while time.monotonic() < stop_at:
            counter += 1
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["Authorization"] = auth
                headers["Idempotency-Key"] = f"py-{index}-{counter}-{secrets.token_hex(4)}"
            started = time.perf_counter()
            conn.request("POST", target, body, headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status >= 300
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "errors": errors[0],
        "socket_errors": "",
    }


def choose_client(requested: str) -> tuple[str, Callable[..., dict[str, float]]]:
    kind = requested
    if kind == "auto":
        kind = "wrk" if shutil.which("wrk") else "python"
    return kind, run_wrk if kind == "wrk" else run_python
