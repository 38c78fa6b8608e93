"""Runs DashTailor with Flux Fill (graphs/dashtailor-fill.yaml) from Python, printing progress as it samples.

    python examples/python/run_dashtailor.py [--models graphs/models] [--output output/python] [--seed 2026]

With the default tiny models the pictures are noise; --models /path/to/ComfyUI/models runs the real ones.
Needs the loom package (scripts/build-python-wheel.sh, then pip install dist/loom-*.whl) and NumPy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import loom

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=REPO / "graphs" / "models", help="a ComfyUI models folder")
    parser.add_argument("--output", default=REPO / "output" / "python", help="where SaveImage writes")
    parser.add_argument("--seed", type=int, default=2026)
    arguments = parser.parse_args()

    engine = loom.Engine(
        models_dir=arguments.models, input_dir=REPO / "graphs" / "input", output_dir=arguments.output,
        disk_cache=False,
    )
    workflow = engine.load(REPO / "graphs" / "dashtailor-fill.yaml")
    workflow["KSampler"].seed = arguments.seed

    previews = []

    def show(event: loom.Event) -> None:
        if event.type == "executing" and event.data["node"]:
            print(f"running {event.data['node']}")
        elif event.type == "progress":
            print(f"  step {event.data['value']}/{event.data['max']}")
        elif event.type == "b_preview":
            previews.append(event.preview)  # height × width × 3, uint8

    result = engine.run(workflow, on_event=show)
    if previews:
        print(f"{len(previews)} previews of {previews[-1].shape[1]}x{previews[-1].shape[0]} while sampling")
    for info, pixels in zip(result.image_info, result.images):
        print(f"{info.node_id}.{info.input_name}[{info.batch_index}]: {pixels.shape[1]}x{pixels.shape[0]}, "
              f"mean {pixels.mean():.1f}")
    for node, output in result.outputs.items():
        for image in output.get("images", []):
            print(f"saved {Path(arguments.output) / image['subfolder'] / image['filename']}")


if __name__ == "__main__":
    main()
