"""Write the numbers a reviewer should expect into README.md and README.pt-BR.md, from the metrics.

The block between the `expected-numbers` markers is generated from metrics/eval.json and
metrics/data_quality.json (never typed); `--check` exits 1 when a README is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hhforecast.reporting import release  # noqa: E402

START, END = "<!-- expected-numbers:start (make expected) -->", "<!-- expected-numbers:end -->"
READMES = {"README.md": "en", "README.pt-BR.md": "pt"}


def block(root: Path, language: str) -> str:
    evaluation = json.loads((root / "metrics/eval.json").read_text(encoding="utf-8"))
    quality = json.loads((root / "metrics/data_quality.json").read_text(encoding="utf-8"))
    return release.markdown_table(release.headline(evaluation, quality, language), language)


def rewrite(text: str, table: str, name: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"expected: {name} lacks the markers {START} ... {END}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the READMEs are up to date")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args(argv)
    stale = []
    for name, language in READMES.items():
        path = args.root / name
        text = path.read_text(encoding="utf-8")
        updated = rewrite(text, block(args.root, language), name)
        if updated != text:
            stale.append(name)
            if not args.check:
                path.write_text(updated, encoding="utf-8")
    if args.check and stale:
        print(f"expected: {', '.join(stale)} out of date with metrics/: run `make expected`", file=sys.stderr)
        return 1
    print(f"expected: {'rewrote ' + ', '.join(stale) if stale else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
