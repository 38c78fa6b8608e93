"""Drives `loom serve` with comfy-sdk, the Comfy API v2 client from PyPI, through comfy-api-proxy, which serves
API v2 over a self-hosted ComfyUI's own routes (POST /prompt, /history, /api/jobs/{id}/cancel, the /ws
WebSocket with its feature_flags handshake, /upload/image, /view): a Flux job's live events, cancelling a running
and a queued job, uploading an input asset and downloading an output, asserting each step.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from comfy_sdk import Comfy, Progress, StatusChange

from loom_server import REPOSITORY, LoomServer, free_port, invert_workflow, png

TERMINAL = {"succeeded", "failed", "canceled", "expired"}


def start_proxy(comfyui_url, work):
    port = free_port()
    log = open(os.path.join(work, "proxy.log"), "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "comfy_api_proxy.cli", "run", "--comfyui", comfyui_url, "--port", str(port),
         "--state-dir", os.path.join(work, "proxy-state")],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"comfy-api-proxy exited with {process.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(url + "/api/v2/health", timeout=5):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("comfy-api-proxy did not answer within 60 s")


def wait_for(job, statuses, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job.refresh().status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job.id} stayed {job.status}, expected one of {statuses}")


def flux_workflow(client, seed):
    with open(os.path.join(REPOSITORY, "graphs", "flux-text-to-image.json"), encoding="utf-8") as file:
        graph = json.load(file)
    noise = next(node for node in graph.values() if node["class_type"] == "RandomNoise")
    noise["inputs"]["noise_seed"] = seed
    return client.workflows.from_json(graph)


def main():
    work = tempfile.mkdtemp(prefix="loom-sdk-")
    server = LoomServer(work, arguments=["--models-dir", os.path.join(REPOSITORY, "graphs", "models")])
    proxy = None
    try:
        proxy, proxy_url = start_proxy(server.url, work)
        os.environ["COMFY_BASE_URL"] = proxy_url
        client = Comfy()

        print("1. a queued job is cancelled before it runs")
        running = client.submit(flux_workflow(client, 1))
        wait_for(running, {"running"})
        queued = client.submit(flux_workflow(client, 2))
        assert queued.refresh().status == "queued", queued.status
        queued.cancel()
        wait_for(queued, TERMINAL)
        # ComfyUI keeps no history for a job taken off the queue; the proxy calls a job gone upstream "expired".
        assert queued.status in ("canceled", "expired"), queued.status
        assert server.get_json(f"/history/{queued.id}") == {}, "a cancelled queued job must not run"

        print("2. a running Flux job reports live progress, then is cancelled mid-run")
        seen = []
        for event in running.events():
            seen.append(type(event).__name__)
            if isinstance(event, Progress) and len([name for name in seen if name == "Progress"]) == 1:
                running.cancel()
            if isinstance(event, StatusChange) and event.status in TERMINAL:
                break
        wait_for(running, TERMINAL)
        assert "Progress" in seen, seen
        assert running.status == "canceled", running.status
        assert server.get_json(f"/api/jobs/{running.id}")["status"] == "cancelled"
        messages = server.get_json(f"/history/{running.id}")[running.id]["status"]["messages"]
        assert messages[-1][0] == "execution_interrupted", messages

        print("3. upload an input asset, run, and download the output")
        source = os.path.join(work, "picture.png")
        with open(source, "wb") as file:
            file.write(png(64, 48, lambda x, y: (x * 4, y * 5, 200)))
        workflow = client.workflows.from_json(invert_workflow(prefix="sdk"))
        workflow.set_input("1", "image", client.assets.from_file(source))
        result = client.run(workflow)
        assert result.status == "succeeded", (result.status, result.error)
        outputs = result.get_outputs("3")
        assert len(outputs) == 1, outputs
        downloaded = outputs[0].to_file(os.path.join(work, "downloaded.png"))
        saved = [name for name in os.listdir(os.path.join(work, "output")) if name.startswith("sdk")]
        assert len(saved) == 1, saved
        with open(downloaded, "rb") as got, open(os.path.join(work, "output", saved[0]), "rb") as expected:
            assert got.read() == expected.read(), "the download differs from the saved image"
        print("comfy-sdk via comfy-api-proxy: all steps passed")
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=30)
        server.stop()


if __name__ == "__main__":
    main()
