"""kill -9 durability: queues prompts that take a while, SIGKILLs `loom serve` mid-queue, restarts it on the same
folder and checks that every accepted prompt is still queued or finished, then that all of them finish.

Then a poison prompt: one that crashes the server each time it runs (made so by the test-only hook
LOOM_TEST_CRASH_MARKER) runs once more after a restart, is recorded failed with the reason at the next start, and
the prompt queued behind it runs.
"""

import shutil
import sys
import tempfile
import time

from loom_server import LoomServer, invert_workflow, write_input_image

PROMPTS = 12
CRASH = {"LOOM_TEST_CRASH_MARKER": "poison"}


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
    poison_prompt()


def crashed(work):
    """Starts the server with the crash hook on and waits for it to die of the poison prompt, which may happen
    before it answers at all."""
    try:
        server = LoomServer(work, environment=CRASH)
    except RuntimeError as error:
        print(f"  the server died while starting: {error}")
        return
    try:
        status = server.process.wait(timeout=120)
    except Exception:
        server.stop(kill=True)
        raise AssertionError("the poison prompt did not crash the server within 120 s")
    assert status != 0, f"loom serve exited with {status}, not by a crash"
    print(f"  the server died with status {status}")


def poison_prompt():
    work = tempfile.mkdtemp(prefix="loom-poison-")
    write_input_image(work)
    server = LoomServer(work, environment=CRASH)
    try:
        # A slow prompt holds the worker while the poison prompt and the one behind it are queued.
        status, reply = server.post_json("/prompt", {"prompt": slow_prompt(0)})
        assert status == 200, reply
        status, poison = server.post_json(
            "/prompt", {"prompt": invert_workflow(prefix="poison"), "extra_data": {"loom_test_crash": "poison"}})
        assert status == 200, poison
        status, after = server.post_json("/prompt", {"prompt": invert_workflow(prefix="after_poison")})
        assert status == 200, after
        status = server.process.wait(timeout=120)
        assert status != 0, f"loom serve exited with {status}, not by a crash"
        print(f"the poison prompt crashed the server (status {status}); restarting")
        # The prompt was running when the process died: it runs once more, and crashes it again.
        crashed(work)

        server = LoomServer(work, environment=CRASH)
        entry = server.wait_for_history(poison["prompt_id"], timeout=30)
        assert entry["status"]["status_str"] == "error", entry["status"]
        errors = [data for kind, data in entry["status"]["messages"] if kind == "execution_error"]
        assert errors and "stopped 2 times while running this prompt" in errors[0]["exception_message"], entry["status"]
        print(f"recorded failed: {errors[0]['exception_message']}")
        entry = server.wait_for_history(after["prompt_id"], timeout=120)
        assert entry["status"]["status_str"] == "success", entry["status"]
        queue = server.get_json("/queue")
        assert not queue["queue_running"] and not queue["queue_pending"], queue
        assert server.process.poll() is None, "the server died again"
        print("poison prompt test passed: retried once, recorded failed, the next prompt ran")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
