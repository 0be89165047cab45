"""Attackers and Prometheus-style scrapers for the shedding tests
(test_shedding.py) and the attack benchmark (tools/bench/attacks.py):
attacks() is the table of issue 29's attacks both run.

Each runs in its own process (its own interpreter, so an attacker's
thousands of sockets never hold up the scraper's Python) and reports its
numbers when stopped. Attackers are asyncio loops over many sockets:
  replay   connect, send a first flight (a ClientHello, or a request head
           without its end), close once answered (or after 50 ms), again;
  dribble  the same flight one byte per second per connection;
  silent   connections that complete the TLS handshake (or just connect)
           and say nothing, refreshed one at a time every `refresh` seconds;
  pullers  keep-alive clients pulling /metrics (gzip) once a second.
A Scraper does what Prometheus does: GET /metrics asking for OpenMetrics
and gzip, on one kept connection or a new one per scrape, and records
whether each got a 200 and how long it took.

Attackers connect from ATTACKER_ADDRESS, scrapers from 127.0.0.1: a
Prometheus scrapes from its own fixed address, and mmwatch remembers the
addresses that completed a request (docs/security.md, "Who is shed at the
cap"). Linux routes all of 127.0.0.0/8 to the loopback interface."""

import asyncio
import http.client
import multiprocessing
import os
import socket
import ssl
import time

PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,"
               "text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
CTX = multiprocessing.get_context("fork")
# The address every attacker's connection comes from.
ATTACKER_ADDRESS = "127.0.0.2"


def client_hello():
    """The first flight of a real TLS 1.3 client: what a replayer sends."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=False, server_hostname="mmwatch")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


# A request head an attacker never finishes (no blank line).
PLAIN_FLIGHT = b"GET /metrics HTTP/1.1\r\nHost: mmwatch\r\nUser-Agent: attacker\r\n"


def attacks(port, flight, cafile):
    """name -> (what, make): make() is the attack's _Process, not started.
    `flight` is a ClientHello for TLS, PLAIN_FLIGHT for plain HTTP."""
    return {
        "replay": ("200 connections replaying a first flight", lambda: replay(port, 200, flight)),
        "dribble": ("500 connections dribbling a first flight at 1 B/s, reconnecting",
                    lambda: dribble(port, 500, flight, 1)),
        "silent": ("256 silent established connections", lambda: silent(port, 256, cafile)),
        "refresh": ("256 silent connections, each refreshed every 4.5 s",
                    lambda: silent(port, 256, cafile, refresh=4.5)),
        "one_byte": ("256 connections that each sent one byte", lambda: dribble(port, 256, flight, 0)),
        "pullers": ("1,000 keep-alive clients pulling the 100,000-series body once a second",
                    lambda: pullers(port, 1000, cafile)),
    }


def beside_scrapers(port, cafile, tls, name, seconds, started=None):
    """Attack `name` for `seconds` beside a keep-alive scraper (proven
    before the attack starts) and a new-connection one. Returns what the
    attack is, both scrapers' Tallies and the attacker's counters.
    started(pids), if given, gets the attacker's process ids once it runs
    (the benchmark renices or pins them)."""
    flight = client_hello() if tls else PLAIN_FLIGHT
    what, make = attacks(port, flight, cafile)[name]
    keep = Scraper(port, cafile, keep_alive=True).start()
    time.sleep(1)
    fresh = Scraper(port, cafile, keep_alive=False).start()
    attack = make().start()
    if started:
        started(attack.pids())
    try:
        time.sleep(seconds)
    finally:
        k, f = keep.stop(), fresh.stop()
        stats = attack.stop()
    return what, k, f, stats


def write_series_files(series, write):
    """`series` gauges in files of 1,000 (gauge_FFF_IIII); write(name, bytes)
    puts each file in the watched directory."""
    from harness import raw_file
    for f in range(max(1, series // 1000)):
        write("s%03d.rezl" % f, raw_file([(2, "gauge_%03d_%04d" % (f, i)) for i in range(min(series, 1000))]))


class _Process:
    """fn(stop, results, *args) in a forked process; stop() returns what it put."""

    def __init__(self, fn, *args):
        self.stop_event = CTX.Event()
        self.results = CTX.Queue()
        self.proc = CTX.Process(target=fn, args=(self.stop_event, self.results) + args, daemon=True)

    def start(self):
        self.proc.start()
        return self

    def pids(self):
        return [self.proc.pid]

    def stop(self, timeout=30):
        self.stop_event.set()
        try:
            out = self.results.get(timeout=timeout)
        except Exception:  # a child that died has nothing to say
            out = None
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _run_async(stop, results, make_tasks):
    """Runs the attack's tasks until `stop` is set; puts its counters."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = {"connects": 0, "cut": 0, "bytes": 0, "errors": 0}

    async def main():
        tasks = [asyncio.ensure_future(t) for t in make_tasks(stats)]
        while not stop.is_set():
            await asyncio.sleep(0.05)
        results.put(dict(stats))
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


async def _open(port, tls=None):
    source = (ATTACKER_ADDRESS, 0)
    if tls is None:
        return await asyncio.open_connection("127.0.0.1", port, local_addr=source)
    return await asyncio.open_connection("127.0.0.1", port, ssl=tls, server_hostname="127.0.0.1", local_addr=source)


def _close(w):
    try:
        w.close()
    except Exception:
        pass


async def _reconnecting(stats, port, talk):
    """Connects (plain), awaits talk(reader, writer), closes; again, for
    ever. A refused or reset connection is counted and retried."""
    while True:
        w = None
        try:
            r, w = await _open(port)
            stats["connects"] += 1
            await talk(r, w)
        except OSError:
            stats["errors"] += 1
            await asyncio.sleep(0.01)
        finally:
            if w is not None:
                _close(w)


def _replay(stop, results, port, n, flight):
    async def talk(stats, r, w):
        w.write(flight)
        try:  # the server's answer to it (a TLS server's flight), then again
            stats["bytes"] += len(await asyncio.wait_for(r.read(65536), timeout=0.05))
        except asyncio.TimeoutError:
            pass

    _run_async(stop, results,
               lambda stats: [_reconnecting(stats, port, lambda r, w: talk(stats, r, w)) for _ in range(n)])


def _dribble(stop, results, port, n, flight, per_second):
    async def talk(stats, r, w):
        for i in range(len(flight)):
            if r.at_eof():
                break
            w.write(flight[i:i + 1])
            await w.drain()
            stats["bytes"] += 1
            if per_second == 0:
                await r.read()  # one byte, then wait to be cut
                break
            await asyncio.sleep(1.0 / per_second)
        stats["cut"] += 1

    _run_async(stop, results,
               lambda stats: [_reconnecting(stats, port, lambda r, w: talk(stats, r, w)) for _ in range(n)])


def _silent(stop, results, port, n, cafile, refresh):
    tls = None
    if cafile:
        tls = ssl.create_default_context(cafile=cafile)

    async def holder(stats, slot, delay):
        await asyncio.sleep(delay)
        while True:
            w = None
            started = time.monotonic()
            try:
                r, w = await _open(port, tls)
                stats["connects"] += 1
                left = refresh - (time.monotonic() - started) if refresh else None
                try:
                    await asyncio.wait_for(r.read(), timeout=left)
                    stats["cut"] += 1
                except asyncio.TimeoutError:
                    pass  # refreshed: a new connection with a new handshake
            except (OSError, ssl.SSLError):
                stats["errors"] += 1
                await asyncio.sleep(0.01)
            finally:
                if w is not None:
                    _close(w)

    # Refreshed ones are spread over the refresh period, as the attack did.
    _run_async(stop, results,
               lambda stats: [holder(stats, i, (refresh or 0) * i / n) for i in range(n)])


def _pullers(stop, results, port, n, cafile, interval):
    tls = ssl.create_default_context(cafile=cafile) if cafile else None
    request = (b"GET /metrics HTTP/1.1\r\nHost: mmwatch\r\nAccept-Encoding: gzip\r\nAccept: " +
               PROM_ACCEPT.encode() + b"\r\n\r\n")

    async def one(stats, delay):
        await asyncio.sleep(delay)
        r = w = None
        while True:
            t0 = time.monotonic()
            try:
                if w is None:
                    r, w = await _open(port, tls)
                    stats["connects"] += 1
                w.write(request)
                head = await r.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await r.readexactly(length)
                stats["bytes"] += length
                if b"connection: close" in head.lower():
                    _close(w)
                    w = None
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError):
                stats["errors"] += 1
                if w is not None:
                    _close(w)
                w = None
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - t0)))

    _run_async(stop, results, lambda stats: [one(stats, interval * i / n) for i in range(n)])


def replay(port, n, flight):
    return _Process(_replay, port, n, flight)


def dribble(port, n, flight, per_second=1):
    """per_second=0: one byte, then silence."""
    return _Process(_dribble, port, n, flight, per_second)


def silent(port, n, cafile=None, refresh=None):
    return _Process(_silent, port, n, cafile, refresh)


def pullers(port, n, cafile=None, interval=1.0, processes=2):
    return _Group([_Process(_pullers, port, n // processes, cafile, interval) for _ in range(processes)])


class _Group:
    def __init__(self, procs):
        self.procs = procs

    def start(self):
        for p in self.procs:
            p.start()
        return self

    def pids(self):
        return [p.proc.pid for p in self.procs]

    def stop(self):
        out = {}
        for p in self.procs:
            for k, v in (p.stop() or {}).items():
                out[k] = out.get(k, 0) + v
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _scrape(stop, results, port, cafile, keep_alive, pause, timeout, auth, source):
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    headers = {"Accept": PROM_ACCEPT, "Accept-Encoding": "gzip", "User-Agent": "Prometheus/2.45"}
    if auth:
        import base64
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    conn = None
    outcomes = []  # (status or error name, seconds)
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            if conn is None:
                src = (source, 0) if source else None
                conn = (http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout,
                                                    source_address=src) if ctx else
                        http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=src))
            conn.request("GET", "/metrics", headers=headers)
            resp = conn.getresponse()
            resp.read()
            outcomes.append((resp.status, time.monotonic() - t0))
            if not keep_alive or resp.will_close:
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            name = type(e).__name__
            if isinstance(e, ssl.SSLError) and getattr(e, "reason", None):
                name += ":" + e.reason
            outcomes.append((name, time.monotonic() - t0))
            if conn is not None:
                conn.close()
            conn = None
        time.sleep(pause)
    results.put(outcomes)


class Scraper(_Process):
    """Prometheus-style scrapes until stopped; stop() returns a Tally."""

    def __init__(self, port, cafile=None, keep_alive=True, pause=0.1, timeout=10, auth=None, source=None):
        super().__init__(_scrape, port, cafile, keep_alive, pause, timeout, auth, source)

    def stop(self, timeout=60):
        return Tally(super().stop(timeout) or [])


class Tally:
    def __init__(self, outcomes):
        self.outcomes = outcomes
        self.ok = [t for s, t in outcomes if s == 200]
        self.failures = [s for s, _ in outcomes if s != 200]

    @property
    def success(self):
        return len(self.ok) / max(1, len(self.outcomes))

    def percentile_ms(self, q):
        """The q-th percentile (0..100) of every scrape's time, failed ones
        included; q=100 is the slowest."""
        times = sorted(t for _, t in self.outcomes)
        return times[min(len(times) - 1, int(len(times) * q / 100))] * 1000 if times else float("nan")

    def p99_ms(self):
        return self.percentile_ms(99)

    def summary(self):
        kinds = {}
        for f in self.failures:
            kinds[f] = kinds.get(f, 0) + 1
        return "%d/%d ok (%.1f%%), p50 %.0f ms, p99 %.0f ms, max %.0f ms%s" % (
            len(self.ok), len(self.outcomes), self.success * 100, self.percentile_ms(50), self.p99_ms(),
            self.percentile_ms(100), (", failures %s" % kinds) if kinds else "")
