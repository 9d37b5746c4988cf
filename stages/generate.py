"""Build the synthetic world and write its raw exports and truth (DVC stage `generate`)."""

from __future__ import annotations

from pathlib import Path

from hhforecast import synth
from hhforecast.core import config, paths
from hhforecast.core.stage import run, say


def main() -> None:
    loaded = config.load()
    # The raw files always hold every fleet; the truth follows data.fleets, like the pipeline.
    world = synth.build_world(loaded.synthetic, loaded.data.fleets)
    # paths.SYNTHETIC_RAW, not params.data.raw_dir: that may point at real exports, which generate never touches.
    synth.write_world(world, paths.SYNTHETIC_RAW, paths.SYNTHETIC_TRUTH, progress=_wrote)
    planted = world.planted
    say(
        "generate",
        f"{planted['events_rows_written']:,} event rows and {planted['utilization_rows_written']:,} "
        f"utilization rows written; {len(world.truth)} truth weeks, {len(world.aircraft)} aircraft",
    )


def _wrote(path: Path, rows: int) -> None:
    say("generate", f"wrote {path} ({rows:,} rows)")


if __name__ == "__main__":
    run(main, "generate")
