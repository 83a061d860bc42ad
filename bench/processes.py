"""Child processes: running a command with its resource usage, an engine worker driven over a pipe,
and how much CPU other processes took while we were timing."""

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class EngineFailure(Exception):
    """An engine could not be built, loaded or run; the others carry on without it."""


class EngineSkipped(EngineFailure):
    """An engine deliberately not run here (its model would not fit in memory): reported as skipped, with
    the reason, and unlike a failure it does not make the run fail."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_measured(argv, log_path: Path, env=None) -> dict:
    """Runs a command to completion with its output in log_path; returns wall time, CPU time, peak RSS."""
    with open(log_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "maxrss_kb": usage.ru_maxrss}


class Worker:
    """An engine in its own process (bench/engines.py), driven one JSON line at a time."""

    def __init__(self, engine: str, argv, env, log_path: Path, timeout: float):
        self.engine, self.log_path, self.timeout = engine, log_path, timeout
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log_file,
                                     env=env, text=True, bufsize=1, cwd=REPO)

    def call(self, **request) -> dict:
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._failure(f"the {self.engine} worker died")
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            self.kill()
            raise self._failure(f"no answer to '{request['cmd']}' within {self.timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            raise self._failure(f"the {self.engine} worker exited with status {code} during '{request['cmd']}'")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise self._failure(reply.get("error", "unknown error"))
        return reply

    def _failure(self, message: str) -> EngineFailure:
        self.log_file.flush()
        return EngineFailure(f"{message}\n    (log {self.log_path}; last lines:)\n" +
                             "\n".join("    | " + l for l in tail(self.log_path).splitlines()))

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.proc.pid)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call(cmd="quit")
                self.proc.wait(timeout=60)
            except (EngineFailure, subprocess.TimeoutExpired, OSError):
                self.kill()
        self.log_file.close()


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, all threads
    except (OSError, IndexError):
        return 0.0


class CpuMonitor:
    """How much CPU other processes used while we timed: (all busy time - ours) / wall time, in cores."""

    def __init__(self):
        self.wall = self.foreign = self.steal = 0.0

    @staticmethod
    def _system():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
        user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
        return (user + nice + system + irq + softirq) / tick, steal / tick

    def measure(self, workers, body):
        own = lambda: process_cpu_seconds(os.getpid()) + sum(w.cpu_seconds() for w in workers)  # noqa: E731
        busy0, steal0, own0, t0 = *self._system(), own(), time.perf_counter()
        body()
        busy1, steal1, own1, t1 = *self._system(), own(), time.perf_counter()
        self.wall += t1 - t0
        self.foreign += max(0.0, (busy1 - busy0) - (own1 - own0))
        self.steal += steal1 - steal0

    def summary(self) -> dict:
        wall = max(self.wall, 1e-9)
        return {"timed_wall_s": self.wall, "foreign_cores": self.foreign / wall, "steal_cores": self.steal / wall}
