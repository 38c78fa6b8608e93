"""Drives `loom serve --preview-method latent2rgb` with comfy-script, a Python frontend for ComfyUI from PyPI: its
nodes are generated from /object_info, and its WebSocket watcher pairs every binary preview with the `progress`
message before it (a preview first crashes the watcher, which then misses the end of a fast job and hangs).
A fast job and a Flux job with per-step progress and previews must both finish, with no watcher failure.
"""

import contextlib
import io
import os
import sys
import tempfile
import threading

from loom_server import REPOSITORY, LoomServer


def main():
    work = tempfile.mkdtemp(prefix="loom-script-")
    server = LoomServer(
        work, arguments=["--models-dir", os.path.join(REPOSITORY, "graphs", "models"), "--preview-method", "latent2rgb",
                   "--no-disk-cache"])
    printed = io.StringIO()
    try:
        from comfy_script.runtime import Workflow, load

        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            load(server.url + "/")
        from comfy_script.runtime.nodes import (
            CLIPTextEncode, ConditioningZeroOut, DualCLIPLoader, EmptySD3LatentImage, FluxGuidance, KSampler,
            PreviewAny, SaveImage, StringConcatenate, UNETLoader, VAEDecode, VAELoader)

        def finish(workflow, seconds):
            """Queues the workflow and waits for it; a watcher that lost the end of the task never returns."""
            task = workflow.queue()
            assert task is not None, "the workflow was not queued"
            progress, previews = [], []
            task.add_progress_callback(lambda update: progress.append((update.value, update.max)))
            task.add_preview_callback(lambda _task, node, image: previews.append((node, image.size)))
            def give_up():
                sys.stderr.write(f"{task} did not finish within {seconds} s\n" + printed.getvalue())
                server.stop()
                os._exit(1)

            watchdog = threading.Timer(seconds, give_up)
            watchdog.start()
            task.wait()
            watchdog.cancel()
            return task, progress, previews

        print("1. a fast job finishes")
        with contextlib.redirect_stdout(printed):
            workflow = Workflow(queue=False)
            with workflow:
                PreviewAny(StringConcatenate("fast", "job", ", "))
            task, _, _ = finish(workflow, 60)
        history = server.get_json(f"/history/{task.prompt_id}")[task.prompt_id]
        assert history["status"]["status_str"] == "success", history["status"]

        print("2. a Flux job reports each step's progress, then its preview")
        with contextlib.redirect_stdout(printed):
            workflow = Workflow(queue=False)
            with workflow:
                model = UNETLoader("flux1-dev.safetensors", "default")
                clip = DualCLIPLoader("t5xxl_fp16.safetensors", "clip_l.safetensors", "flux")
                positive = FluxGuidance(CLIPTextEncode("a red car", clip), 3.5)
                latent = KSampler(model, 7, 3, 1.0, "euler", "simple", positive, ConditioningZeroOut(positive),
                                  EmptySD3LatentImage(128, 128, 1), 1.0)
                SaveImage(VAEDecode(latent, VAELoader("ae.safetensors")), "script")
            task, progress, previews = finish(workflow, 300)
        history = server.get_json(f"/history/{task.prompt_id}")[task.prompt_id]
        assert history["status"]["status_str"] == "success", history["status"]
        assert [step for step in progress if step[1] == 3] == [(1, 3), (2, 3), (3, 3)], progress
        assert len(previews) == 3 and all(size == (16, 16) for _, size in previews), previews
        assert "Failed to watch" not in printed.getvalue(), printed.getvalue()
        print("comfy-script: all steps passed")
    except BaseException:
        sys.stderr.write(printed.getvalue())
        raise
    finally:
        server.stop()


if __name__ == "__main__":
    main()
