"""Byte flips and truncations of good files (a fixed seed, bounded): every outcome is a message or a table,
never a traceback, an abort or a hang, and the good files beside them still count."""

import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bad_inputs
import soctrang

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261201
VARIANTS = 60  # per run: a few seconds of reading in the workers


def mutations(data: bytes, rng: random.Random):
    """Flipped bytes (anywhere, or in the central directory and local headers), and truncations."""
    for _ in range(VARIANTS // 3):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        yield bytes(flipped)
    for _ in range(VARIANTS // 3):
        flipped = bytearray(data)
        tail = max(0, len(flipped) - 600)  # the zip's central directory: offsets, sizes, names
        for _ in range(rng.randint(1, 4)):
            flipped[rng.randrange(tail, len(flipped))] = rng.randrange(256)
        yield bytes(flipped)
    for _ in range(VARIANTS - 2 * (VARIANTS // 3)):
        yield data[: rng.randrange(1, len(data))]


def test_flipped_and_truncated_files_give_messages_never_tracebacks(tmp_path, unit_folder):
    rng = random.Random(SEED)
    seeds = [unit_folder / "12_so-tu-phap.xlsx", unit_folder / "05_so-ke-hoach.ods", unit_folder / "03_so-giao-duc.csv"]
    seeds.append(bad_inputs.xlsxwriter_unit_file(tmp_path / "xlsxwriter.xlsx", index=bad_inputs.TU_PHAP))
    folder = tmp_path / "don-vi"
    shutil.copytree(unit_folder, folder)
    for path in (folder / p.name for p in seeds[:3]):
        path.unlink()  # the mutants stand in for these units' files
    made = []
    for seed in seeds:
        for i, data in enumerate(mutations(seed.read_bytes(), rng)):
            target = folder / f"zz-{seed.stem}-{i:03}{seed.suffix}"
            target.write_bytes(data)
            made.append(target.name)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tthc_xl.cli.app", "consolidate", str(folder), "-o", str(tmp_path / "tong-hop.xlsx"),
         "--units", "soc-trang-so-nganh", "--json", str(tmp_path / "kq.json")],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env={**__import__("os").environ, "TTHC_XL_FILE_SECONDS": "10"},
    )
    assert time.perf_counter() - started < 60
    assert done.returncode in (1, 2) and "Traceback" not in done.stdout + done.stderr, done.stderr[-2000:]
    data = json.loads((tmp_path / "kq.json").read_text(encoding="utf-8"))
    by_file = {}
    for source in data["sources"]:
        by_file.setdefault(Path(source["file"]).name, []).append(source)
    assert set(made) <= set(by_file)  # every mutant has an outcome
    for name in made:
        for source in by_file[name]:
            assert source["status"] == "ok" or (name in source["error"] and "Traceback" not in source["error"]), source
    # the 13 untouched good units are all there, with their own figures
    good = {soctrang.CANONICAL_NAMES.get(n, n) for i, (_, n, _) in enumerate(soctrang.UNITS) if i not in (2, 4, 11)}
    ok_units = {s["unit"] for s in data["sources"] if s["status"] == "ok" and not s["file"].split("/")[-1].startswith("zz-")}
    assert good <= ok_units
