"""kill -9 durability: queues prompts that take a while, SIGKILLs `loom serve` mid-queue, restarts it on the same
folder and checks that every accepted prompt is still queued or finished, then that all of them finish.
"""

import shutil
import sys
import tempfile
import time

from loom_server import LoomServer, write_input_image

PROMPTS = 12


def slow_prompt(index):
    # A large Lanczos upscale: seconds per prompt, so most are still pending at the kill.
    return {
        "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
        "2": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "lanczos",
                                                     "width": 2048 + index, "height": 2048, "crop": "disabled"}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": f"slow_{index}"}},
    }


def main():
    work = tempfile.mkdtemp(prefix="loom-kill-")
    write_input_image(work)
    server = LoomServer(work)
    try:
        accepted = []
        for index in range(PROMPTS):
            status, reply = server.post_json("/prompt", {"prompt": slow_prompt(index)})
            assert status == 200, reply
            accepted.append(reply["prompt_id"])
        queue = server.get_json("/queue")
        assert len(queue["queue_pending"]) + len(queue["queue_running"]) >= PROMPTS - 1, queue
        server.stop(kill=True)
        print(f"killed with SIGKILL after accepting {PROMPTS} prompts")

        server = LoomServer(work)
        queue = server.get_json("/queue")
        queued = {item[1] for item in queue["queue_pending"] + queue["queue_running"]}
        finished = set(server.get_json("/history"))
        lost = [prompt_id for prompt_id in accepted if prompt_id not in queued | finished]
        assert not lost, f"lost after kill -9: {lost}"
        order = [item[1] for item in sorted(queue["queue_pending"] + queue["queue_running"])]
        assert order == [p for p in accepted if p in queued], "the restored queue is out of order"
        print(f"after restart: {len(queued)} queued, {len(finished)} finished, none lost")

        deadline = time.time() + 600
        for prompt_id in accepted:
            entry = server.wait_for_history(prompt_id, timeout=max(1, deadline - time.time()))
            assert entry["status"]["status_str"] == "success", entry["status"]
        print("kill -9 test passed: every accepted prompt finished")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
