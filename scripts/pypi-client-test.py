"""Drives `loom serve` with comfy-api-simplified, a ComfyUI API client from PyPI, through
upload → submit → progress → history → download, asserting each step.
"""

import logging
import os
import shutil
import sys
import tempfile

from comfy_api_simplified import ComfyApiWrapper, ComfyWorkflowWrapper

from loom_server import LoomServer, invert_workflow, png


class Messages(logging.Handler):
    """The WebSocket messages the client logs as it receives them."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = []

    def emit(self, record):
        if isinstance(record.msg, dict) and "type" in record.msg:
            self.seen.append(record.msg)


def main():
    work = tempfile.mkdtemp(prefix="loom-client-")
    server = LoomServer(work)
    messages = Messages()
    logger = logging.getLogger("comfy_api_simplified.comfy_api_wrapper")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(messages)
    try:
        api = ComfyApiWrapper(server.url)
        assert "LoadImage" in api.get_object_info(), "object_info lacks LoadImage"

        print("1. upload an input image")
        source = os.path.join(work, "large.png")
        with open(source, "wb") as file:
            file.write(png(512, 384, lambda x, y: (x % 256, y % 256, 40)))
        uploaded = api.upload_image(source)
        # The client uploads into a subfolder of its own; LoadImage names the file with it, as in ComfyUI.
        assert uploaded["name"] == "large.png" and uploaded["type"] == "input", uploaded
        assert os.path.isfile(os.path.join(work, "input", uploaded["subfolder"], "large.png"))
        image_name = "/".join(part for part in (uploaded["subfolder"], uploaded["name"]) if part)

        print("2. submit and wait over the WebSocket")
        workflow = invert_workflow(image=image_name, prefix="client")
        for node_id, title in (("1", "Load Image"), ("2", "Invert Image"), ("3", "Save Image")):
            workflow[node_id]["_meta"] = {"title": title}
        workflow = ComfyWorkflowWrapper(workflow)
        workflow.set_node_param("Save Image", "filename_prefix", "client_test")
        files = api.queue_and_wait_images(workflow, "Save Image")

        print("3. progress: the messages the client received")
        types = [message["type"] for message in messages.seen]
        print("  ", types)
        assert "status" in types, types
        # As with ComfyUI, the client stops reading at the status that says the queue is empty.
        running = [m["data"]["node"] for m in messages.seen if m["type"] == "executing" and m["data"]["node"]]
        # The client connects after submitting, so it sees the nodes from the one running then; the server
        # replays that one to a client that connects mid-prompt.
        assert running and running == ["1", "2", "3"][-len(running):], running
        succeeded = [m["data"] for m in messages.seen if m["type"] == "execution_success"]
        assert len(succeeded) == 1, types
        prompt_id = succeeded[0]["prompt_id"]
        executed = [m["data"] for m in messages.seen if m["type"] == "executed"]
        assert executed and executed[0]["node"] == "3" and executed[0]["prompt_id"] == prompt_id, executed

        print("4. history")
        history = api.get_history(prompt_id)[prompt_id]
        assert history["status"]["status_str"] == "success" and history["status"]["completed"], history["status"]
        events = [event for event, _ in history["status"]["messages"]]
        assert events[0] == "execution_start" and events[-1] == "execution_success", events
        images = history["outputs"]["3"]["images"]
        assert len(images) == 1 and images[0]["filename"].startswith("client_test"), images

        print("5. download")
        assert list(files) == [images[0]["filename"]], list(files)
        data = files[images[0]["filename"]]
        assert data.startswith(b"\x89PNG") and data == api.get_image(images[0]["filename"], "", "output")
        stored = os.path.join(work, "output", images[0]["filename"])
        assert open(stored, "rb").read() == data, "the download differs from the saved file"
        print(f"client test passed: {len(data)} bytes of {images[0]['filename']}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
