#!/usr/bin/env python3
"""Spoke's chaos suite: the bad nights, against a real `spoke serve`.

Scenarios, each printing its figures (run with `make chaos`):

  kill-9     8 concurrent writers create clients; the server is killed with
             SIGKILL mid-load and started again. Every acknowledged create
             must still be there, each with its audit row. SQLite, and
             PostgreSQL with fsync on.
  pg-outage  PostgreSQL is stopped under read load and started again: the
             answers must be 503 problem+json (never 500, never a hang past
             the checkout timeout), then 200 again without a restart.
  races      50 updates racing with one If-Match (one winner), 20 creates
             racing with one Idempotency-Key (one record, identical
             answers), 60 wrong passwords racing for one email (at most 10
             checked). Both backends.

The two-instance webhook scenario (a receiver that fails then recovers;
every event once per subscription, in order, one disclosure each) runs in
`make test` on both backends (`two_instances_deliver_each_event_once_and_in_order`).

Needs the `spoke` binary (SPOKE_BIN, default target/debug/spoke) and the
PostgreSQL server binaries. Uses only Python's standard library.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

SPOKE = os.path.abspath(os.environ.get("SPOKE_BIN", "target/debug/spoke"))
PASSWORD = "spoke-demo-password"
CM = "sam.okafor@demo.spoke.test"
ADMIN = "admin@demo.spoke.test"
failures = []


def log(*parts):
    print(*parts, flush=True)


def check(ok, what):
    log(("  ok    " if ok else "  FAIL  ") + what)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None, headers=None, timeout=30):
    """(status, json or None, headers, seconds)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout) as error:
        return 0, {"error": str(error)}, {}, time.monotonic() - started
    elapsed = time.monotonic() - started
    got = {name.lower(): value for name, value in got.items()}
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, got, elapsed


class Postgres:
    """A private PostgreSQL cluster with fsync on, which can be stopped."""

    def __init__(self):
        bins = sorted(d for d in os.listdir("/usr/lib/postgresql") if d.replace(".", "").isdigit())
        self.bin = f"/usr/lib/postgresql/{bins[-1]}/bin"
        self.dir = tempfile.mkdtemp(prefix="spoke-chaos-pg.")
        self.port = free_port()
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
        self.run("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, tool, *args):
        command = [f"{self.bin}/{tool}", *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200"
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-o", options, "start")

    def stop(self):
        self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")

    def database(self, name):
        subprocess.run(
            [f"{self.bin}/psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-c", f"CREATE DATABASE {name}"],
            check=True, stdout=subprocess.DEVNULL,
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self):
        try:
            self.run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    """`spoke serve` on a database, seeded with the demo agency."""

    def __init__(self, database_url, workdir):
        self.env = dict(os.environ, SPOKE_DATABASE_URL=database_url, SPOKE_LOG="warn",
                        SPOKE_JWT_SECRET="chaos-secret-chaos-secret-chaos-secret!")
        self.workdir = workdir
        subprocess.run([SPOKE, "seed-demo"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.process = None
        self.start()

    def start(self):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = dict(self.env, SPOKE_BIND=f"127.0.0.1:{port}")
        self.process = subprocess.Popen([SPOKE, "serve"], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if call(self.base, "GET", "/healthz", timeout=1)[0] == 200:
                return
            time.sleep(0.05)
        raise RuntimeError("spoke did not start")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()

    def token(self, email):
        status, body, _, _ = call(self.base, "POST", "/v1/auth/login",
                                  {"email": email, "password": PASSWORD})
        assert status == 200, (status, body)
        return body["access_token"]


def kill_nine(name, database_url, workdir):
    log(f"kill-9 under 8 concurrent writers ({name})")
    server = Server(database_url, workdir)
    cm, admin = server.token(CM), server.token(ADMIN)
    acknowledged, lock, stop = [], threading.Lock(), threading.Event()

    def writer(n):
        i = 0
        while not stop.is_set():
            i += 1
            status, body, _, _ = call(server.base, "POST", "/v1/clients",
                                      {"given_name": f"Chaos{n}", "family_name": f"Writer{i}"},
                                      token=cm, timeout=5)
            if status == 201:
                with lock:
                    acknowledged.append(body["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(3)
    server.kill()
    stop.set()
    for t in threads:
        t.join()
    server.start()
    cm, admin = server.token(CM), server.token(ADMIN)
    missing = [i for i in acknowledged
               if call(server.base, "GET", f"/v1/clients/{i}", token=cm)[0] != 200]
    unaudited = []
    for i in acknowledged:
        _, body, _, _ = call(server.base, "GET", f"/v1/audit-events?client_id={i}&limit=200", token=admin)
        actions = [e.get("action") for e in (body or {}).get("items", [])]
        if "client.created" not in actions:
            unaudited.append(i)
    server.stop()
    check(len(acknowledged) > 0, f"{len(acknowledged)} creates acknowledged before the kill")
    check(not missing, f"{len(missing)} of {len(acknowledged)} acknowledged creates lost")
    check(not unaudited, f"{len(unaudited)} of {len(acknowledged)} without their audit row")


def pg_outage(pg, workdir):
    log("PostgreSQL stopped and started under read load")
    server = Server(pg.database("chaos_outage"), workdir)
    cm = server.token(CM)
    results, lock, stop = [], threading.Lock(), threading.Event()

    def reader():
        while not stop.is_set():
            status, body, headers, elapsed = call(server.base, "GET", "/v1/clients?limit=5",
                                                  token=cm, timeout=15)
            with lock:
                results.append((time.monotonic(), status, elapsed,
                                headers.get("retry-after"), headers.get("content-type")))

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    stopped_at = time.monotonic()
    pg.stop()
    time.sleep(4)
    started_at = time.monotonic()
    pg.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join()
    ready = call(server.base, "GET", "/readyz")[0]
    server.stop()
    during = [r for r in results if stopped_at + 0.2 < r[0] < started_at]
    refused = [r for r in during if r[1] == 503]
    others = sorted({r[1] for r in during if r[1] not in (503, 200)})
    slowest = max((r[2] for r in during), default=0.0)
    recovered = [r for r in results if r[0] > started_at and r[1] == 200]
    recovery = (recovered[0][0] - started_at) if recovered else None
    check(len(refused) > 0, f"{len(refused)} of {len(during)} requests during the outage were 503")
    check(not others, f"no other failure status during the outage (saw {others or 'none'})")
    check(all(r[3] == "2" and r[4] == "application/problem+json" for r in refused),
          "each 503 is problem+json with Retry-After: 2")
    check(slowest < 2.0, f"slowest answer during the outage {slowest:.2f} s (< 2 s)")
    check(recovery is not None, "answers 200 again after PostgreSQL is back, no restart"
          + (f" ({recovery:.2f} s after its start)" if recovery is not None else ""))
    check(ready == 200, "/readyz is 200 again")


def races(name, database_url, workdir):
    log(f"races ({name})")
    server = Server(database_url, workdir)
    cm = server.token(CM)
    _, client, headers, _ = call(server.base, "POST", "/v1/clients",
                                 {"given_name": "Race", "family_name": "Target"}, token=cm)
    etag = headers["etag"]

    def in_parallel(n, job):
        out = [None] * n
        threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, job(i))) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    updates = in_parallel(50, lambda i: call(server.base, "PATCH", f"/v1/clients/{client['id']}",
                                             {"preferred_name": f"Racer {i}"}, token=cm,
                                             headers={"If-Match": etag})[0])
    check(updates.count(200) == 1 and updates.count(412) == 49,
          f"50 racing If-Match updates: {updates.count(200)} won, {updates.count(412)} got 412")

    key = str(uuid.uuid4())
    creates = in_parallel(20, lambda i: call(server.base, "POST", "/v1/clients",
                                             {"given_name": "Idem", "family_name": "Potent"}, token=cm,
                                             headers={"Idempotency-Key": key}))
    ids = {c[1]["id"] for c in creates if c[0] == 201}
    check(all(c[0] == 201 for c in creates) and len(ids) == 1,
          f"20 racing creates with one key: {sum(c[0] == 201 for c in creates)} answered 201, "
          f"{len(ids)} record(s)")

    email = f"nobody-{uuid.uuid4().hex[:8]}@demo.spoke.test"
    guesses = in_parallel(60, lambda i: call(server.base, "POST", "/v1/auth/login",
                                             {"email": email, "password": "wrong guess number one"})[0])
    check(guesses.count(401) <= 10 and guesses.count(401) + guesses.count(429) == 60,
          f"60 racing wrong passwords: {guesses.count(401)} checked, {guesses.count(429)} throttled")
    server.stop()


def main():
    if not os.path.exists(SPOKE):
        sys.exit(f"chaos: {SPOKE} is missing; run `make build` first")
    workdir = tempfile.mkdtemp(prefix="spoke-chaos.")
    pg = Postgres()
    try:
        kill_nine("SQLite", os.path.join(workdir, "kill9.db"), workdir)
        kill_nine("PostgreSQL, fsync on", pg.database("chaos_kill9"), workdir)
        pg_outage(pg, workdir)
        races("SQLite", os.path.join(workdir, "races.db"), workdir)
        races("PostgreSQL", pg.database("chaos_races"), workdir)
    finally:
        pg.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        log(f"chaos: {len(failures)} check(s) failed")
        sys.exit(1)
    log("chaos: every check held")


if __name__ == "__main__":
    main()
