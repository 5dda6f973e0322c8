"""A real Prometheus serving planted, old-dated series (backfilled with promtool).

`planted_prometheus(tmp_dir)` writes OpenMetrics text, turns it into TSDB blocks with
`promtool tsdb create-blocks-from openmetrics`, starts `prometheus` on a free local port with a
long retention (the data is in the past) and yields the base URL until the context exits.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

DAY = datetime(2024, 3, 20, tzinfo=UTC)
"""All planted samples are on this day: old enough that nothing scrapes into it."""

SAMPLE_S = 15
DATA_START = DAY.replace(hour=13)
DATA_END = DAY.replace(hour=16)

INCIDENT_START = DAY.replace(hour=14, minute=20)
INCIDENT_END = DAY.replace(hour=15)
ONSET = DAY.replace(hour=14, minute=24)
PEAK = DAY.replace(hour=14, minute=31)
RECOVERY = DAY.replace(hour=14, minute=52)
BASELINE = 0.1
PEAK_VALUE = 6.2


def error_rate(moment: datetime) -> float:
    """The incident series: ~0.1 with a little noise, ~6 between ONSET and RECOVERY."""
    i = int((moment - DATA_START).total_seconds() // SAMPLE_S)
    if moment == PEAK:
        return PEAK_VALUE
    if ONSET <= moment < RECOVERY:
        return 5.9 + 0.1 * math.sin(i * 0.7)
    return BASELINE + 0.004 * math.sin(i * 1.3)


def flat_rate(moment: datetime) -> float:
    """A steady series with a little noise and nothing happening."""
    i = int((moment - DATA_START).total_seconds() // SAMPLE_S)
    return 120 + 1.5 * math.sin(i * 0.9) + 0.8 * math.cos(i * 2.3)


def openmetrics_text() -> str:
    """Three series: the incident (job=api), a flat one of the same metric (job=web), and a
    flat metric of its own."""
    times = []
    moment = DATA_START
    while moment <= DATA_END:
        times.append(moment)
        moment += timedelta(seconds=SAMPLE_S)
    lines = ["# TYPE http_error_rate gauge"]
    lines += [
        f'http_error_rate{{job="api"}} {error_rate(t):.6f} {int(t.timestamp())}' for t in times
    ]
    lines += [f'http_error_rate{{job="web"}} {BASELINE:.6f} {int(t.timestamp())}' for t in times]
    lines.append("# TYPE http_requests_rate gauge")
    lines += [
        f'http_requests_rate{{job="api"}} {flat_rate(t):.4f} {int(t.timestamp())}' for t in times
    ]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"prometheus exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError("prometheus did not become ready in time")


def require_binaries() -> tuple[str, str]:
    """Paths of prometheus and promtool, or skip (CI installs the Debian package)."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not prometheus or not promtool:
        pytest.skip("the prometheus binary is absent (apt-get install prometheus)")
    return prometheus, promtool


@contextmanager
def planted_prometheus(tmp_dir: Path) -> Iterator[str]:
    """Backfill the planted series, run Prometheus on them, yield its URL, stop it after."""
    prometheus, promtool = require_binaries()
    source = tmp_dir / "planted.om"
    source.write_text(openmetrics_text())
    data_dir = tmp_dir / "data"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(data_dir)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    config = tmp_dir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\n")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_dir / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
