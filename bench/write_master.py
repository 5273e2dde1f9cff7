"""The write of a new master (XlsxWriter engine) side by side: this tree against another revision.

    python bench/write_master.py [--n 1000 5000 20000] [--runs 3] [--runs-large 1] [--against main]

Each run is one `tthc-xl consolidate FOLDER -o master.xlsx` in its own process, on the files of
bench/make_units.py (made in `$TMPDIR/tthc-xl-bench` when missing), with timers around the steps of
the write (`write_book`: the plans, drawing them, the engine's flush, XlsxWriter's `close`; CPU
seconds of the process, which the machine's other work disturbs less than the clock; the whole run
in wall-clock seconds). The
other revision (`--against`, a commit or branch) is exported with `git archive` and run the same
way, paired and interleaved with this tree. It prints per N and tree the medians of the write, of
its steps and of the whole run, the memory the write adds to the process's resident set (the peak
during the write, reset before it through /proc/self/clear_refs, minus the resident set when it
starts), and the process's peak. Each pair of masters must be the same file inside (every part but
docProps/core.xml, which holds the time it was written; the master's identity is fixed; the shared
strings compared as a set, each sheet with its texts in its cells).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "tthc-xl-bench"
STEPS = [  # (module, attribute, label): timed when the tree has them
    ("tthc_xl.xlsx.xlsxwriter_book", "write_book", "write"),
    ("tthc_xl.xlsx.xlsxwriter_book", "master_plan", "master_plan"),
    ("tthc_xl.xlsx.xlsxwriter_book", "check_sheet", "check_sheet"),
    ("tthc_xl.xlsx.xlsxwriter_book", "check_plan", "check_plan"),
    ("tthc_xl.xlsx.xlsxwriter_book", "draw", "draw"),
    ("tthc_xl.xlsx.xlsxwriter_book", "XlsxWriterSheet.flush", "flush"),
    ("xlsxwriter.workbook", "Workbook.close", "close"),
]

CHILD = r"""
import importlib, io, contextlib, resource, sys, time
T0 = time.perf_counter()
from collections import defaultdict
spent = defaultdict(float)
memory = {}

def statm():
    return int(open('/proc/self/statm').read().split()[1]) * 4096

def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) * 1024

def wrap(owner, name, label):
    f = getattr(owner, name)
    def timed(*a, **k):
        if label == 'write':
            with open('/proc/self/clear_refs', 'w') as out:
                out.write('5')  # the peak resident set starts again from here
            memory['before'] = statm()
        t = time.process_time()  # the write runs in this process alone: its CPU time, less noisy than the clock
        try:
            return f(*a, **k)
        finally:
            spent[label] += time.process_time() - t
            if label == 'write':
                memory['added'] = hwm() - memory['before']
    setattr(owner, name, timed)

for module, attribute, label in STEPS:
    owner = importlib.import_module(module)
    *path, name = attribute.split('.')
    for part in path:
        owner = getattr(owner, part)
    if hasattr(owner, name):
        wrap(owner, name, label)
import uuid
uuid.uuid4 = lambda: uuid.UUID(int=2019)  # the master's identity: the same in both trees, so the masters compare
from tthc_xl.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({'code': code, 'total': time.perf_counter() - T0, 'steps': spent, 'before': memory.get('before'),
                  'added': memory.get('added'), 'peak': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def units(n: int) -> Path:
    folder = BENCH / f"units-{n}-seed1-b0"
    if not folder.is_dir():
        subprocess.run([sys.executable, str(ROOT / "bench" / "make_units.py"), str(folder), "-n", str(n), "--seed", "1", "--mix-b", "0"],
                       check=True)
    return folder


def export(revision: str) -> Path:
    """The tree of `revision`, exported once into the bench folder, with its bytecode compiled."""
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    tree = BENCH / f"tree-{commit}"
    if not tree.is_dir():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "tthc_xl", "templates"], cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
    subprocess.run([sys.executable, "-m", "compileall", "-q", "tthc_xl"], cwd=tree, check=True)
    return tree


def run(tree: Path, folder: Path, master: Path) -> dict:
    master.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    code = f"import json\nSTEPS = {STEPS!r}\n" + CHILD
    done = subprocess.run([sys.executable, "-c", code, "consolidate", str(folder), "-o", str(master)], cwd=master.parent, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def parts(path: Path) -> dict[str, bytes]:
    """The master's parts but docProps/core.xml, each text cell written out in its sheet (the
    shared strings' order is not the workbook's content), the shared strings as a sorted set."""
    with zipfile.ZipFile(path) as book:
        found = {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}
    strings = re.findall(rb"<si>(.*?)</si>", found.get("xl/sharedStrings.xml", b""), re.S)
    for name in found:
        if name.startswith("xl/worksheets/sheet"):
            found[name] = re.sub(rb't="s"><v>(\d+)</v>', lambda m: b't="s"><v>' + strings[int(m.group(1))] + b"</v>", found[name])
    if strings:
        counts = re.search(rb'count="\d+" uniqueCount="\d+"', found["xl/sharedStrings.xml"]).group(0)
        found["xl/sharedStrings.xml"] = counts + b"|".join(sorted(strings))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-large", type=int, default=1, help="runs at N >= 20000")
    parser.add_argument("--against", default="main")
    args = parser.parse_args()
    trees = {args.against: export(args.against), "this tree": ROOT}
    subprocess.run([sys.executable, "-m", "compileall", "-q", "tthc_xl"], cwd=ROOT, check=True)
    labels = [label for _, _, label in STEPS]
    mb = 2**20
    print(f"{'N':>6} {'tree':<10} " + " ".join(f"{label:>11}" for label in labels) + f" {'total':>6} {'rss0 MB':>7} {'+write':>6} {'peak':>5}")
    for n in args.n:
        folder = units(n)
        results: dict[str, list[dict]] = {name: [] for name in trees}
        with tempfile.TemporaryDirectory(dir=BENCH) as scratch:
            for _ in range(args.runs_large if n >= 20000 else args.runs):
                written = {}
                for name, tree in trees.items():
                    master = Path(scratch) / f"{len(written)}" / "master.xlsx"
                    master.parent.mkdir(exist_ok=True)
                    results[name].append(run(tree, folder, master))
                    written[name] = parts(master)
                first, second = written.values()
                assert first.keys() == second.keys() and all(first[k] == second[k] for k in first), \
                    [k for k in first if first.get(k) != second.get(k)]
        for name, runs in results.items():
            med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
            steps = " ".join(f"{med(lambda r: r['steps'].get(label, 0)):>11.3f}" for label in labels)
            print(f"{n:>6} {name:<10} {steps} {med(lambda r: r['total']):>6.2f} {med(lambda r: r['before']) / mb:>7.0f} "
                  f"{med(lambda r: r['added']) / mb:>6.1f} {med(lambda r: r['peak']) / mb:>5.0f}", flush=True)


if __name__ == "__main__":
    main()
