"""Bus throughput and latency, end to end, beside the raw aio-pika rate of the same broker.

End to end = a unit of work commits a state change and its event (outbox) → the relay
publishes it to RabbitMQ with publisher confirms → the consuming service's handler
runs in one transaction with its inbox record. Raw = aio-pika publishing persistent
messages with confirms to a quorum queue and consuming them, nothing else.

    CERTREG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
    CERTREG_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ uv run python bench/bench_bus.py [N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aio_pika

from certreg_contracts.events.platform import Ping
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_testing.infra import delete_namespace, resolve_amqp, resolve_postgres, unique_namespace
from certreg_testing.probe import ProbeBehaviour, probe_definition


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def raw_rate(amqp_url: str, n: int) -> tuple[float, list[float]]:
    namespace = unique_namespace()
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=64)
        queue = await channel.declare_queue(f"{namespace}.raw", durable=True, arguments={"x-queue-type": "quorum"})
        sent: dict[int, float] = {}
        latencies: list[float] = []
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            seq = int(message.body)
            latencies.append(time.perf_counter() - sent[seq])
            await message.ack()
            if len(latencies) == n:
                done.set()

        await queue.consume(on_message)
        start = time.perf_counter()
        window = 64  # publishes in flight, as the relay does with a batch
        for first in range(0, n, window):
            batch = range(first, min(n, first + window))
            for seq in batch:
                sent[seq] = time.perf_counter()
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(str(seq).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue.name
                    )
                    for seq in batch
                )
            )
        await asyncio.wait_for(done.wait(), 120)
        elapsed = time.perf_counter() - start
        await queue.delete(if_unused=False, if_empty=False)
        return n / elapsed, latencies
    finally:
        await connection.close()


def raw_commits(postgres, n: int, writers: int) -> float:
    """PostgreSQL alone: one small INSERT per transaction from ``writers`` threads, the
    floor under any design that commits each state change with its event."""
    import sqlalchemy as sa

    url = postgres.create_database(f"{unique_namespace()}_commits")
    engine = create_db_engine(url, pool_size=writers + 2)
    table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
    table.metadata.create_all(engine)

    def write(count: int) -> None:
        for _ in range(count):
            with engine.begin() as conn:
                conn.execute(table.insert().values(body="x" * 600))

    start = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, [n // writers] * writers))
    elapsed = time.perf_counter() - start
    engine.dispose()
    return (n // writers) * writers / elapsed


def cpu_seconds() -> float:
    """CPU time of this process so far (every thread, user and system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


class Run:
    def __init__(self, rate: float, latencies: list[float], cpu_per_event: float, busy: float) -> None:
        self.rate, self.latencies, self.cpu_per_event, self.busy = rate, latencies, cpu_per_event, busy


async def end_to_end(amqp_url: str, postgres, n: int, writers: int, pace: float | None = None) -> Run:
    """``pace``: events per second the writers commit (spread evenly), or as fast as they can."""
    namespace = unique_namespace()
    db_url = postgres.create_database(f"{namespace}_bench")
    engine = create_db_engine(db_url, pool_size=writers + 4)
    behaviour = ProbeBehaviour()
    definition = probe_definition(behaviour, "probe")
    definition.metadata.create_all(engine)
    bus = RabbitBus(amqp_url, namespace=namespace, prefetch=64)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), outbox_poll_seconds=0.5, bus_namespace=namespace)
    runner = ServiceRunner(definition, settings, bus, engine=engine, jwks=lambda refresh=False: {"keys": []})
    await bus.start()
    await runner.start()
    committed: dict[int, float] = {}
    lock = threading.Lock()

    writer_cpu: list[float] = []

    def write(seqs: range) -> None:
        cpu = time.thread_time()
        for seq in seqs:
            if pace is not None:
                delay = start + seq / pace - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            with runner.ctx.uow() as uow:
                uow.emit(Ping(seq=seq))
                uow.commit()
            with lock:
                committed[seq] = time.perf_counter()
        with lock:
            writer_cpu.append(time.thread_time() - cpu)

    try:
        cpu0, (busy0, all0) = cpu_seconds(), machine_busy()
        start = time.perf_counter()
        chunk = n // writers
        with ThreadPoolExecutor(writers) as pool:
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(pool, write, range(i, chunk * writers, writers)) for i in range(writers)))
        total = chunk * writers
        written = time.perf_counter() - start
        while len(behaviour.handled_at) < total:
            await asyncio.sleep(0.01)
        elapsed = max(behaviour.handled_at.values()) - start
        cpu, (busy1, all1) = cpu_seconds() - cpu0, machine_busy()
        latencies = [behaviour.handled_at[s] - committed[s] for s in committed]
        batches = getattr(runner, "batches", None)  # absent before the handlers took deliveries together
        print(
            f"(writers committed {total} events at {total / written:.0f}/s, {sum(writer_cpu) / total * 1000:.2f} ms CPU each"
            + (
                f"; the handlers took them in {batches.batches} transactions, {batches.items / max(1, batches.batches):.1f} "
                f"on average, {batches.largest} at most)"
                if batches is not None
                else ")"
            )
        )
        return Run(total / elapsed, latencies, (cpu - sum(writer_cpu)) / total, (busy1 - busy0) / max(1, all1 - all0))
    finally:
        await runner.stop()
        await bus.close()
        await delete_namespace(amqp_url, namespace, [f"{namespace}.review", f"{namespace}.review.parking"])
        postgres.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=3000, help="events per run (default 3000)")
    parser.add_argument("--rate", type=float, default=500, help="events/s of the paced run (default 500; 0: no paced run)")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="event loop (default uvloop, as uvicorn runs the services)"
    )
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    n = args.n
    writers = int(os.environ.get("BENCH_WRITERS", "4"))
    amqp = resolve_amqp()
    postgres = resolve_postgres()
    raw_cpu = cpu_seconds()
    raw_eps, raw_lat = await raw_rate(amqp.url, n)
    raw_cpu = (cpu_seconds() - raw_cpu) / n
    commits = raw_commits(postgres, n, writers)
    e2e = await end_to_end(amqp.url, postgres, n, writers)
    paced = await end_to_end(amqp.url, postgres, n, writers, pace=args.rate) if args.rate else None
    amqp.close()
    print(
        f"bus benchmark, {n} events, {os.cpu_count()} cores, {writers} writer threads, {type(asyncio.get_running_loop()).__module__} loop, "
        f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    )
    print(f"{'path':<48} {'events/s':>9} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/ev':>9} {'machine':>7}")
    raw_label = "raw aio-pika (persistent, confirms, quorum)"
    raw_p50, raw_p99 = pct(raw_lat, 50) * 1000, pct(raw_lat, 99) * 1000
    print(f"{raw_label:<48} {raw_eps:>9.0f} {'1':>6} {raw_p50:>7.1f} {raw_p99:>7.1f} {raw_cpu * 1000:>9.2f}")
    runs = [("commit→outbox→RabbitMQ→handler→inbox", e2e)]
    if paced is not None:
        runs.append((f"the same, paced at {args.rate:.0f} ev/s", paced))
    for label, run in runs:
        print(
            f"{label:<48} {run.rate:>9.0f} {run.rate / raw_eps:>6.0%} {pct(run.latencies, 50) * 1000:>7.1f} "
            f"{pct(run.latencies, 99) * 1000:>7.1f} {run.cpu_per_event * 1000:>9.2f} {run.busy:>7.0%}"
        )
    print(f"{'raw PostgreSQL commits (1 insert per txn)':<48} {commits:>9.0f}")
    print(f"(mean end-to-end latency {statistics.mean(e2e.latencies) * 1000:.1f} ms; each event costs two commits:")
    print(" the state change with its outbox row, and the handler's effect with its inbox row;")
    print(" CPU ms/ev: this process's CPU per event, the writers' commits left out (raw: publishing and consuming);")
    print(" machine: how busy both cores were meanwhile)")


if __name__ == "__main__":
    options = arguments()
    if options.loop == "uvloop":
        import uvloop

        uvloop.run(main(options))
    else:
        asyncio.run(main(options))
