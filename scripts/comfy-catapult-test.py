"""Drives `loom serve` with comfy-catapult, a ComfyUI API client from PyPI whose pydantic models check every answer
against ComfyUI's shapes: system_stats, object_info (every node), image upload, prompt submission, history and
/view, and the queue with a running Flux prompt and a waiting one, asserting each step.
"""

import asyncio
import json
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")  # comfy-catapult's models warn under pydantic 2.12

from comfy_catapult.api_client import ComfyAPIClient  # noqa: E402

from loom_server import REPOSITORY, LoomServer, invert_workflow, png  # noqa: E402


async def wait_for_history(client, prompt_id):
    for _ in range(600):
        history = await client.GetHistory(prompt_id=prompt_id)
        if prompt_id in history.root:
            return history.root[prompt_id]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no history for {prompt_id}")


async def check(server, work):
    async with ComfyAPIClient(comfy_api_url=server.url + "/") as client:
        print("1. system_stats and object_info parse with comfy-catapult's models")
        stats = await client.GetSystemStats()
        assert stats.devices, stats
        nodes = (await client.GetObjectInfo()).root
        assert "KSampler" in nodes and "LoadImage" in nodes and len(nodes) > 50, len(nodes)

        print("2. upload an image, run LoadImage → ImageInvert → SaveImage, and view the output")
        source = os.path.join(work, "input-picture.png")
        with open(source, "wb") as file:
            file.write(png(32, 24, lambda x, y: (x * 8, y * 10, 100)))
        with open(source, "rb") as file:
            uploaded = await client.PostUploadImage(
                folder_type="input", subfolder="", filename="catapult.png", data=file.read(), overwrite=True)
        assert uploaded.name == "catapult.png", uploaded
        ticket = await client.PostPrompt(prompt_workflow=invert_workflow(image="catapult.png", prefix="catapult"))
        assert not ticket.node_errors and ticket.prompt_id, ticket
        entry = await wait_for_history(client, ticket.prompt_id)
        assert entry.status.status_str == "success" and entry.status.completed, entry.status
        image = entry.outputs["3"].root["images"][0]
        viewed = await client.GetView(folder_type=image["type"], subfolder=image["subfolder"], filename=image["filename"])
        assert viewed[:8] == b"\x89PNG\r\n\x1a\n", viewed[:8]

        print("3. the queue with a running and a waiting prompt parses; /prompt reports both")
        with open(os.path.join(REPOSITORY, "graphs", "flux-text-to-image.json"), encoding="utf-8") as file:
            flux = json.load(file)
        running = await client.PostPrompt(prompt_workflow=flux)
        assert running.prompt_id, running
        waiting = await client.PostPrompt(prompt_workflow=invert_workflow(image="catapult.png", prefix="waiting"))
        queue = await client.GetQueue()
        listed = [item.prompt_id for item in queue.queue_running + queue.queue_pending]
        assert waiting.prompt_id in listed, listed
        assert (await client.GetPrompt()).exec_info.queue_remaining >= 1
        await client.PostInterrupt()
        await wait_for_history(client, running.prompt_id)
        await wait_for_history(client, waiting.prompt_id)
        print("comfy-catapult: all steps passed")


def main():
    work = tempfile.mkdtemp(prefix="loom-catapult-")
    server = LoomServer(
        work, arguments=["--models-dir", os.path.join(REPOSITORY, "graphs", "models"), "--no-disk-cache"])
    try:
        asyncio.run(check(server, work))
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
