"""The gateway's proxy hop: req/s and the gateway's CPU per proxied request, with one and
with several gateway processes (``certreg serve gateway --workers N``), beside the same
upstream asked directly, all in the same run.

The upstream is a FastAPI hello route under uvicorn (its own process), so what is
measured is the proxy: the gateway's processes' CPU time (every worker, from /proc)
divided by the requests it answered.

    uv run python bench/bench_gateway.py [--workers 1,2] [--connections 32] [--duration 10]

Needs ``wrk`` (``apt-get install wrk``)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import free_port, wait_ready, wrk  # type: ignore[import-not-found]

UPSTREAM = textwrap.dedent(
    """
    import sys
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/api/{service}/hello")
    async def hello(service: str):
        return {"hello": service}

    @app.get("/readyz")
    async def ready():
        return {"status": "ready"}

    if __name__ == "__main__":
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
    """
)
SERVICES = ("identity", "entities", "filings", "review", "notifier")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (a gateway's workers)."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="gateway processes to try, comma-separated")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    (work / "upstream.py").write_text(UPSTREAM)
    upstream_port = free_port()
    upstream_log = work / "upstream.log"
    upstream = subprocess.Popen(
        [sys.executable, str(work / "upstream.py"), str(upstream_port)], stdout=upstream_log.open("wb"), stderr=subprocess.STDOUT
    )
    rows: list[tuple[str, float, float, float, float | None]] = []
    try:
        base = f"http://127.0.0.1:{upstream_port}"
        wait_ready(f"{base}/readyz", upstream, upstream_log)
        direct = wrk(f"{base}/api/filings/hello", args.connections, args.duration, headers={})
        rows.append(("upstream asked directly", direct.rps, direct.p50_ms, direct.p99_ms, None))
        env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
        env["CERTREG_DATA_DIR"] = str(work / "var")
        env.update({f"CERTREG_{s.upper()}_URL": base for s in SERVICES})
        for workers in [int(w) for w in args.workers.split(",")]:
            port = free_port()
            log = work / f"gateway-{workers}.log"
            command = [sys.executable, "-m", "certreg", "serve", "gateway", "--host", "127.0.0.1", "--port", str(port)]
            gateway = subprocess.Popen([*command, "--workers", str(workers)], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
            try:
                url = f"http://127.0.0.1:{port}"
                wait_ready(f"{url}/api/filings/hello", gateway, log, timeout=300)
                wrk(f"{url}/api/filings/hello", args.connections, 2, headers={})  # every worker warm
                cpu = tree_cpu(gateway.pid)
                result = wrk(f"{url}/api/filings/hello", args.connections, args.duration, headers={})
                cpu = tree_cpu(gateway.pid) - cpu
                requests = result.rps * args.duration
                rows.append(
                    (f"through the gateway, {workers} process(es)", result.rps, result.p50_ms, result.p99_ms, cpu / requests * 1000)
                )
            finally:
                gateway.terminate()
                gateway.wait(30)
    finally:
        upstream.terminate()
        upstream.wait(30)
    print(f"gateway benchmark, {os.cpu_count()} cores, {args.connections} connections, {args.duration:.0f} s each")
    print(f"{'path':<40} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'gateway CPU ms/req':>19}")
    for label, rps, p50, p99, cpu_ms in rows:
        cpu_text = f"{cpu_ms:.2f}" if cpu_ms is not None else "—"
        print(f"{label:<40} {rps:>8.0f} {rps / rows[0][1]:>6.0%} {p50:>7.1f} {p99:>7.1f} {cpu_text:>19}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
