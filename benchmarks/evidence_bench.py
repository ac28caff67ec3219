"""What one evidence upload costs the web process: wall time and peak memory of
`evidence_clean` for a hostile image (a 7700 × 7700 1-bit PNG of a few KB) and a normal
12-megapixel phone photo (issue 14, hole 4).

    .venv/bin/python -m benchmarks.evidence_bench

Each file is cleaned in a fresh process, so the peak resident memory (VmHWM) is that file's
alone; the figure printed is the peak minus the resident memory just before the call.
Prints a Markdown table and writes var/bench/evidence.json.
"""

import io
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def hostile_png(side: int) -> bytes:
    """An all-white 1-bit PNG: tens of megapixels in a few KB on the wire."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (side, side), 1).save(out, "PNG", optimize=True)
    return out.getvalue()


def gradient_png(side: int) -> bytes:
    """A colour PNG with an alpha channel that compresses well: the costliest re-encode a PNG
    under the size limit can ask for (four bytes per pixel decoded, all of it written again)."""
    from PIL import Image

    ramp = Image.linear_gradient("L").resize((side, side))
    image = Image.merge("RGBA", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp, ramp))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def phone_photo(width: int, height: int) -> bytes:
    """A JPEG with noisy content, so it compresses as a real photo does (a few MB), with EXIF
    like a phone writes (rotated: the clean copy is turned upright)."""
    from PIL import Image

    rng = random.Random(14)
    small = Image.frombytes(
        "RGB", (width // 16, height // 16), rng.randbytes(width * height // 256 * 3)
    )
    photo = small.resize((width, height), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def measure_one(path: str, name: str) -> dict:
    """In this (fresh) process: clean the file once, report time and memory."""
    import django

    django.setup()
    from complaints.errors import DomainError
    from complaints.services.evidence import evidence_clean

    data = Path(path).read_bytes()
    before = _vm("VmRSS")
    started = time.perf_counter()
    try:
        clean = evidence_clean(name=name, stream=io.BytesIO(data), size=len(data))
        outcome = f"accepted ({clean.size:,} bytes stored)"
    except DomainError as error:
        outcome = f"refused: {error.message}"
    seconds = time.perf_counter() - started
    return {
        "file": name,
        "bytes": len(data),
        "seconds": round(seconds, 3),
        "peak_extra_mb": round((_vm("VmHWM") - before) / 2**20, 1),
        "outcome": outcome,
    }


def main() -> None:
    out_dir = Path("var/bench")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        # issue 14's file: 59.3 MP, under the old 60 MP limit
        "hostile-7700x7700-1bit.png": hostile_png(7700),
        # the worst a PNG can do under the new 40 MP limit: 39.7 MP
        "hostile-6300x6300-1bit.png": hostile_png(6300),
        "gradient-6300x6300-rgba.png": gradient_png(6300),
        # a phone photo in the default mode (12.2 MP) and a full-sensor one (49.9 MP)
        "phone-12mp-4032x3024.jpg": phone_photo(4032, 3024),
        "phone-50mp-8160x6120.jpg": phone_photo(8160, 6120),
    }
    rows = []
    for name, data in files.items():
        path = out_dir / name
        path.write_bytes(data)
        runs = []
        for _ in range(3):
            result = subprocess.run(
                [sys.executable, "-m", "benchmarks.evidence_bench", "--one", str(path), name],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        runs.sort(key=lambda run: run["seconds"])
        rows.append(runs[1] | {"runs_seconds": [run["seconds"] for run in runs]})
    print(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')} · {platform.node()} · Python {sys.version.split()[0]}"
    )
    print("| file | size | time (median of 3) | peak extra memory | outcome |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['file']} | {row['bytes'] / 1024:,.0f} KB | {row['seconds']:.2f} s "
            f"| {row['peak_extra_mb']:.0f} MB | {row['outcome']} |"
        )
    (out_dir / "evidence.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure_one(sys.argv[2], sys.argv[3])))
    else:
        main()
