"""Scale benchmark: generate an N-file project and time a full ``pcilint check`` on it.

    python benchmarks/scale.py --files 5000 --jobs 2            # generate into a temp dir and scan
    python benchmarks/scale.py --files 5000 --keep /tmp/tree     # keep the generated tree

Reports wall time, the files scanned and errors, and peak memory: the largest resident set of any
single pcilint process and the peak of their sum (main process + workers, sampled every 50 ms from
/proc).  ``generate`` is also used by a small test (tests/robustness/test_crashes_and_scale.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PANS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"

PLAIN = '''"""Module {i}: helpers that have nothing to do with payments."""
import os
from dataclasses import dataclass


@dataclass
class Record{i}:
    name: str
    count: int = 0

    def bump(self, by: int = 1) -> int:
        self.count += by
        return self.count


def load_{i}(path: str) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip()]


def summarise_{i}(records: list[Record{i}]) -> dict[str, int]:
    out: dict[str, int] = {{}}
    for r in records:
        out[r.name] = out.get(r.name, 0) + r.count
    return out
'''

PAYMENTS = '''"""Payments module {i}."""
import logging
import os

import stripe

logger = logging.getLogger(__name__)
stripe.api_key = os.environ.get("STRIPE_SECRET_KEY", "")


def charge_{i}(customer_id: str, amount: int, payment_method_id: str):
    intent = stripe.PaymentIntent.create(
        amount=amount, currency="usd", customer=customer_id,
        payment_method=payment_method_id, confirm=True,
    )
    logger.info("charged %s for %d", customer_id, amount)
    return intent.id


def card_summary_{i}(card) -> str:
    return f"{{card.brand}} ending {{card.last4}}"
'''

LEAKY = '''"""A module with the mistakes pcilint exists to find ({i})."""
import logging

import stripe

logger = logging.getLogger(__name__)
stripe.api_key = "{key}"
TEST_CARD = "{pan}"


def pay_{i}(request):
    card_number = request.form["card_number"]
    logger.info("paying with %s", card_number)
    return stripe.Token.create(card={{"number": card_number, "exp_month": 1, "exp_year": 2030}})
'''

TEMPLATE = '''<form action="/pay" method="post">
  <input name="email" type="email">
  <div id="card-element"></div>
</form>
'''


def generate(root: Path, files: int, seed: int = 0) -> int:
    """Write ``files`` files under ``root`` (nested packages); returns how many were written."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        package = root / f"pkg{i % 50:02d}" / f"sub{(i // 50) % 10}"
        package.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        if roll < 0.02:
            (package / f"form_{i}.html").write_text(TEMPLATE)
            continue
        if roll < 0.04:
            (package / f"settings_{i}.json").write_text(json.dumps({"debug": False, "n": i}))
            continue
        if roll < 0.07:
            text = LEAKY.format(i=i, key=KEY, pan=rng.choice(PANS))
        elif roll < 0.30:
            text = PAYMENTS.format(i=i)
        else:
            text = PLAIN.format(i=i) * rng.randint(1, 6)
        (package / f"module_{i}.py").write_text(text)
    return files


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_pids(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return pids


def measure(tree: Path, jobs: int, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "pcilint", "check", "--format", "json", "--jobs", str(jobs),
           "--exit-zero", *(extra or []), "."]
    peak_sum = peak_single = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_sum, peak_single
        while not done.is_set():
            sizes = [_rss_kb(p) for p in _tree_pids(proc.pid)]
            peak_sum = max(peak_sum, sum(sizes))
            peak_single = max([peak_single, *sizes])
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI and its (reaped) workers
    cpu = usage.ru_utime + usage.ru_stime
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    doc = json.loads(out)
    return {
        "files_scanned": doc["summary"]["files_scanned"], "errors": len(doc["errors"]),
        "findings": len(doc["findings"]), "wall_s": round(wall, 2), "cpu_s": round(cpu, 1),
        "load_average_at_end": float(load),
        "peak_rss_sum_mb": round(peak_sum / 1024, 1), "peak_rss_process_mb": round(peak_single / 1024, 1),
        "exit_code": proc.returncode, "stderr_tail": err.decode(errors="replace")[-300:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args()
    tree = args.keep or Path(tempfile.mkdtemp(prefix="pcilint-scale-"))
    try:
        t = time.perf_counter()
        generate(tree, args.files, args.seed)
        print(f"generated {args.files} files in {time.perf_counter() - t:.1f} s under {tree}")
        lines = sum(p.read_text().count("\n") for p in tree.rglob("*") if p.is_file())
        print(f"{lines} lines")
        print(json.dumps(measure(tree, args.jobs), indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    main()
