"""`make release VERSION=x.y.z`: an annotated tag tcc-vX.Y.Z, only from a clean, verified tree.

Refuses (exit status 1, one line saying why) unless the git tree is clean, `dvc status`
reports nothing to do and the verify command (default `make verify`) passes; the tree must
still be clean after verification. The tag's message holds the headline numbers, generated
from the committed metrics.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hhforecast.reporting import release  # noqa: E402


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def require_clean_tree(when: str) -> None:
    dirty = git("status", "--porcelain", "--untracked-files=normal")
    if dirty:
        shown = "; ".join(dirty.splitlines()[:5])
        raise release.ReleaseError(f"the git tree is not clean {when} ({shown}): commit or stash first")


def require_dvc_clean(dvc: str) -> None:
    result = subprocess.run([*shlex.split(dvc), "status", "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        raise release.ReleaseError(f"dvc status failed: {result.stderr.strip() or result.stdout.strip()}")
    if json.loads(result.stdout or "{}"):
        raise release.ReleaseError(
            "dvc status is not clean (outputs differ from dvc.lock): run `make repro` and commit dvc.lock and metrics/"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="major.minor.patch, e.g. 1.0.0")
    parser.add_argument("--verify", default="make verify", help="the verification command (default: make verify)")
    parser.add_argument("--dvc", default=str(Path(sys.executable).parent / "dvc"), help="the dvc executable")
    args = parser.parse_args(argv)
    try:
        tag = release.tag_name(args.version)
        if git("tag", "--list", tag).strip():
            raise release.ReleaseError(f"tag {tag} already exists")
        require_clean_tree("before verification")
        require_dvc_clean(args.dvc)
        if subprocess.run(shlex.split(args.verify)).returncode != 0:
            raise release.ReleaseError(f"`{args.verify}` failed: the re-run metrics differ from the committed ones")
        require_clean_tree("after verification")
        evaluation = json.loads(git("show", "HEAD:metrics/eval.json"))
        quality = json.loads(git("show", "HEAD:metrics/data_quality.json"))
        commit = git("rev-parse", "HEAD").strip()
        message = release.tag_message(args.version, commit, release.headline(evaluation, quality))
        git("tag", "--annotate", tag, "--message", message)
    except release.ReleaseError as exc:
        print(f"release: refused: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"release: error: {' '.join(exc.cmd)}: {exc.stderr.strip()}", file=sys.stderr)
        return 1
    print(f"release: tagged {tag}:\n{message}\npush it with: git push origin {tag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
