"""A throwaway PostgreSQL cluster for `make bench` (as the tests use): initdb into bench/out, pg_ctl on a free loopback
port, password authentication, stopped and removed when the benchmark ends. Durable as a real server is (fsync and
synchronous commit on): every state write the benchmarks time is a real commit."""
import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import uuid


def _bin():
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise SystemExit("PostgreSQL's server programs are not installed: run `make setup`")


class Postgres:
    def __init__(self, out):
        self.bin = _bin()
        self.folder = os.path.join(out, "pg")
        shutil.rmtree(self.folder, ignore_errors=True)
        os.makedirs(self.folder)
        self.password = "bench-" + uuid.uuid4().hex[:12]
        self.owner = None
        if os.getuid() == 0:
            self.owner = "postgres" if _user_exists("postgres") else "nobody"
            subprocess.run(["chown", "-R", self.owner, self.folder], check=True)
            os.chmod(out, 0o755)
        with open(os.path.join(self.folder, "pwfile"), "w") as f:
            f.write(self.password)
        if self.owner:
            subprocess.run(["chown", self.owner, os.path.join(self.folder, "pwfile")], check=True)
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "--pwfile=" + os.path.join(self.folder, "pwfile"),
                   "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8"])
        self.port = _free_port()
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.folder, "log"), "-w", "start",
                   "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"])
        atexit.register(self.stop)

    @property
    def data(self):
        return os.path.join(self.folder, "data")

    def url(self, schema):
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres?sslmode=disable&schema={schema}"

    def env(self):
        return {"PGPASSWORD": self.password}

    def stop(self):
        if os.path.exists(self.data):
            subprocess.run(self._as([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.folder, ignore_errors=True)

    def _as(self, command):
        return ["runuser", "-u", self.owner, "--", *command] if self.owner else command

    def _run(self, command):
        # Output to a file: the server started by pg_ctl must not hold a pipe of ours open.
        with open(os.path.join(self.folder, "setup.log"), "a") as log:
            code = subprocess.run(self._as(command), stdout=log, stderr=log, stdin=subprocess.DEVNULL).returncode
        if code != 0:
            raise SystemExit(f"{' '.join(command[:1])} failed; see {self.folder}/setup.log")


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
