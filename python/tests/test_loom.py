"""Tests of the Python package over libLoomC.so (run by scripts/test-embedding.sh from `make test`).

LOOM_TEST_REPO is the repository (graphs, inputs); LOOM_CLI_OUTPUT, when set, holds what
`loom run graphs/dashtailor-composite.yaml` wrote, to compare with the package's files byte for byte.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import tempfile
import threading
import time
import unittest
from pathlib import Path

import numpy as np

import loom

REPO = Path(os.environ.get("LOOM_TEST_REPO", Path(__file__).resolve().parents[2]))
COMPOSITE = REPO / "graphs" / "dashtailor-composite.yaml"
HELLO = REPO / "graphs" / "hello-strings.yaml"
INPUT = REPO / "graphs" / "input"

try:
    import PIL.Image
except ImportError:  # pragma: no cover - the test script installs Pillow
    PIL = None


def cheap_image_graph(color: int, size: int = 256) -> dict:
    """An API-format workflow of image nodes only: a solid image, inverted, previewed."""
    return {
        "1": {"class_type": "EmptyImage", "inputs": {"width": size, "height": size, "batch_size": 1, "color": color}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
    }


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class EngineTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = Path(tempfile.mkdtemp(prefix="loom-python-tests-"))

    def make_engine(self, name: str, **options) -> loom.Engine:
        base = self.scratch / name
        options.setdefault("disk_cache", False)
        return loom.Engine(base_dir=base, input_dir=INPUT, **options)

    def test_package_uses_the_bundled_swift_runtime(self) -> None:
        package = Path(loom.__file__).resolve().parent
        if not (package / "_lib").is_dir():
            self.skipTest("loom is not installed from a wheel")
        with open("/proc/self/maps") as maps:
            mapped = set(re.findall(r"(/\S+\.so)\s*$", maps.read(), re.MULTILINE))
        swift = [path for path in mapped if re.search(r"/(libswift|libFoundation|lib_FoundationICU|libdispatch)", path)]
        self.assertTrue(swift, "no Swift runtime library is mapped")
        for path in swift + [path for path in mapped if path.endswith("libLoomC.so")]:
            self.assertEqual(Path(path).resolve().parent, package / "_lib", f"{path} is not the wheel's copy")

    def test_runs_a_workflow_file_and_reads_text_outputs(self) -> None:
        with self.make_engine("hello") as engine:
            result = engine.run(HELLO)
        self.assertEqual(result.history["status"]["status_str"], "success")
        self.assertEqual(result.outputs["show"]["text"], ["Hello, from Loom"])
        self.assertEqual(result.images, [])

    def test_sets_inputs_by_title_id_and_class(self) -> None:
        with self.make_engine("titles") as engine:
            workflow = engine.load(HELLO)
            self.assertEqual(workflow["Show the sentence"].id, "show")
            self.assertEqual(workflow["StringConcatenate"].id, "sentence")
            workflow["sentence"].delimiter = " - "
            workflow["greeting"]["value"] = "Bonjour"
            self.assertEqual(workflow["sentence"].delimiter, " - ")
            result = engine.run(workflow)
            self.assertEqual(result.outputs["show"]["text"], ["Bonjour - from Loom"])
            with self.assertRaises(loom.LoomError) as missing:
                workflow["sentence"].no_such_input = 1
            self.assertIn("has no input no_such_input", str(missing.exception))
            with self.assertRaises(loom.LoomError) as linked:
                workflow["sentence"].string_a = "x"
            self.assertIn("fed by node greeting", str(linked.exception))
            with self.assertRaises(KeyError):
                workflow["nobody"]

    def test_two_engines_in_one_process(self) -> None:
        first, second = self.make_engine("two-a"), self.make_engine("two-b")
        results: dict[str, loom.RunResult] = {}

        def run(name: str, engine: loom.Engine) -> None:
            results[name] = engine.run(COMPOSITE)

        threads = [threading.Thread(target=run, args=item) for item in (("a", first), ("b", second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual(sorted(results), ["a", "b"])
        self.assertEqual(len(results["a"].images), 3)
        for left, right in zip(results["a"].images, results["b"].images):
            np.testing.assert_array_equal(left, right)
        for name in ("two-a", "two-b"):
            self.assertEqual(len(list((self.scratch / name / "output" / "dashtailor").glob("*.png"))), 3)
        first.close()
        self.assertEqual(second.run(HELLO).outputs["show"]["text"], ["Hello, from Loom"])
        second.close()

    def test_interrupt_from_another_thread(self) -> None:
        engine = self.make_engine("interrupt")
        first_node = threading.Event()
        interrupted = threading.Event()

        def on_event(event: loom.Event) -> None:
            # Holds the run at its first node until the other thread has interrupted it.
            if event.type == "executing" and event.data["node"] and not first_node.is_set():
                first_node.set()
                interrupted.wait(30)

        def interrupter() -> None:
            first_node.wait(30)
            engine.interrupt()
            interrupted.set()

        thread = threading.Thread(target=interrupter)
        thread.start()
        with self.assertRaises(loom.Interrupted) as caught:
            engine.run(COMPOSITE, on_event=on_event)
        thread.join()
        history = caught.exception.result.history
        self.assertFalse(history["status"]["completed"])
        self.assertIn("execution_interrupted", [message[0] for message in history["status"]["messages"]])
        # The interruption belonged to that run only.
        self.assertEqual(len(engine.run(COMPOSITE).images), 3)
        engine.close()

    def test_validation_error_carries_comfyui_json(self) -> None:
        with self.make_engine("invalid") as engine:
            workflow = engine.load(COMPOSITE)
            workflow["Garment at the person's height"].upscale_method = "sharpest"
            with self.assertRaises(loom.ValidationError) as caught:
                engine.validate(workflow)
            report = caught.exception.json
            self.assertEqual(report["error"]["type"], "prompt_outputs_failed_validation")
            errors = caught.exception.node_errors["scaled_garment"]["errors"]
            self.assertEqual(errors[0]["type"], "value_not_in_list")
            self.assertEqual(errors[0]["extra_info"]["input_name"], "upscale_method")
            self.assertIn("scaled_garment", str(caught.exception))
            with self.assertRaises(loom.ValidationError):
                engine.run(workflow)
            with self.assertRaises(loom.ValidationError) as unknown:
                engine.validate({"1": {"class_type": "NoSuchNode", "inputs": {}}})
            self.assertIn("NoSuchNode", str(unknown.exception.json))

    def test_outputs_equal_loom_run_files(self) -> None:
        reference = os.environ.get("LOOM_CLI_OUTPUT")
        if not reference:
            self.skipTest("LOOM_CLI_OUTPUT (the output folder of `loom run`) is not set")
        with self.make_engine("compare") as engine:
            result = engine.run(COMPOSITE)
        compared = 0
        for index, (node, output) in enumerate(result.outputs.items()):
            for saved in output["images"]:
                relative = Path(saved["subfolder"]) / saved["filename"]
                ours = (self.scratch / "compare" / "output" / relative).read_bytes()
                theirs = (Path(reference) / relative).read_bytes()
                self.assertEqual(ours, theirs, f"{relative} differs from loom run's")
                pixels = result.images_of(node)[0]
                floats = result.images_of(node, np.float32)[0]
                np.testing.assert_array_equal(pixels, (np.clip(floats * 255, 0, 255)).astype(np.uint8))
                if PIL is not None:
                    np.testing.assert_array_equal(pixels, np.asarray(PIL.Image.open(Path(reference) / relative)))
                compared += 1
        self.assertEqual(compared, 3)
        if PIL is not None:
            self.assertEqual([image.size for image in result.pil_images()], [(w.width, w.height) for w in result.image_info])

    def test_repeated_run_reuses_the_cache(self) -> None:
        with self.make_engine("cache") as engine:
            workflow = engine.load(COMPOSITE)

            def executed_nodes() -> tuple[list[str], list[str]]:
                events: list[loom.Event] = []
                engine.run(workflow, on_event=events.append)
                ran = [event.data["node"] for event in events if event.type == "executing" and event.data["node"]]
                cached = next(event.data["nodes"] for event in events if event.type == "execution_cached")
                return ran, cached

            first_ran, first_cached = executed_nodes()
            self.assertEqual(first_cached, [])
            self.assertEqual(len(first_ran), len(workflow))
            second_ran, second_cached = executed_nodes()
            self.assertEqual(second_ran, [])
            self.assertEqual(sorted(second_cached), sorted(workflow.ids))
            # A changed widget re-runs its node and what depends on it, nothing else.
            workflow["empty_mask"].value = 0.25
            third_ran, _ = executed_nodes()
            self.assertEqual(sorted(third_ran), ["empty_mask", "inpaint_mask", "mask_as_image", "save_mask"])

    def test_no_leak_over_100_runs(self) -> None:
        with self.make_engine("leak", cache="none") as engine:

            def run(color: int) -> None:
                result = engine.run(cheap_image_graph(color))
                self.assertEqual(result.image(0, np.float32).shape, (256, 256, 3))
                result.close()

            for color in range(10):
                run(color)
            before = resident_bytes()
            for color in range(100):
                run(color)
            growth = resident_bytes() - before
        # One leaked 256×256 float image per run would be 75 MiB over 100 runs.
        print(f"\nRSS over 100 runs of a 3-node image graph: {before / 2**20:.1f} MiB before, {growth / 2**20:+.1f} MiB after")
        self.assertLess(growth, 24 * 2**20)

    def test_calling_overhead(self) -> None:
        def best(*actions, batches: int = 25, runs: int = 4) -> list[float]:
            """Seconds per call of each action's fastest batch, batches alternating between the actions: the
            machine's other work only ever adds time."""
            timings: list[list[float]] = [[] for _ in actions]
            for _ in range(batches):
                for action, times in zip(actions, timings):
                    started = time.perf_counter()
                    for _ in range(runs):
                        action()
                    times.append((time.perf_counter() - started) / runs)
            return [min(times) for times in timings]

        with self.make_engine("overhead") as engine:
            hello = engine.load(HELLO)
            engine.run(hello)
            (per_run,) = best(lambda: engine.run(hello))
        # Per event: 40 previews of one string; a cached run still sends each one's "executed" message.
        fan = {"0": {"class_type": "PrimitiveString", "inputs": {"value": "a"}}}
        for index in range(1, 41):
            fan[str(index)] = {"class_type": "PreviewAny", "inputs": {"source": ["0", 0]}}
        with self.make_engine("overhead-events") as engine:
            workflow = engine.load(fan)
            engine.run(workflow)
            events: list[loom.Event] = []
            engine.run(workflow, on_event=events.append)
            silent, observed = best(lambda: engine.run(workflow), lambda: engine.run(workflow, on_event=lambda event: None))
        per_event = (observed - silent) / len(events)
        print(
            f"\nPython calling overhead: {per_run * 1e6:.0f} us per cached run of hello-strings (the whole engine path: "
            f"validation, signatures, events, history, result); {per_event * 1e6:.1f} us per event delivered to a "
            f"Python handler ({len(events)} events per cached run of 40 previews)"
        )
        self.assertLess(per_run, 0.1)
        self.assertLess(per_event, 0.01)

    def test_bad_arguments_raise_instead_of_crashing(self) -> None:
        with self.assertRaises(ValueError):
            loom.Engine(cache="sometimes")
        with self.make_engine("bad") as engine:
            with self.assertRaises(loom.LoomError) as missing:
                engine.load(self.scratch / "no-such-workflow.json")
            self.assertEqual(missing.exception.status, 3)
            with self.assertRaises(loom.LoomError) as garbled:
                engine.load(b"{not json", format="json")
            self.assertEqual(garbled.exception.status, 4)
            result = engine.run(HELLO)
            with self.assertRaises(IndexError):
                result.image(0)
            stale = ctypes.c_void_p(result.handle.value)
            result.close()
            with self.assertRaises(loom.LoomError):
                result.history
            # The C API itself refuses what the package never passes: freed, foreign or made-up handles, NULLs,
            # and buffers too small; the process lives on.
            lib = loom._native.lib
            self.assertEqual(lib.loom_result_free(stale), 2)
            self.assertIn(b"not a live loom_result", lib.loom_last_error())
            self.assertEqual(lib.loom_result_history_json(engine.handle, ctypes.byref(ctypes.c_void_p())), 2)
            self.assertEqual(lib.loom_interrupt(ctypes.c_void_p(0xDEADBEEF0)), 2)
            self.assertEqual(lib.loom_run(None, None, loom._native.EventCallback(), None, None), 1)
            workflow = engine.load(HELLO)
            self.assertEqual(lib.loom_workflow_set_input(workflow.handle, None, b"value", b"1"), 1)
            self.assertIn(b"node_id is NULL", lib.loom_last_error())
            self.assertEqual(lib.loom_workflow_set_input(workflow.handle, b"greeting", b"value", b"{oops"), 1)
            images = engine.run(cheap_image_graph(0, size=4))
            tiny = ctypes.create_string_buffer(8)
            self.assertEqual(lib.loom_result_read_image(images.handle, 0, 0, tiny, 8), 10)
            self.assertIn(b"needs 48 bytes", lib.loom_last_error())
            self.assertEqual(lib.loom_result_read_image(images.handle, 0, 7, tiny, 8), 1)
            self.assertEqual(lib.loom_last_error_json(), None)
        engine.close()
        with self.assertRaises(loom.LoomError):
            engine.run(HELLO)


if __name__ == "__main__":
    unittest.main()
