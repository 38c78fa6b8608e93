"""Load test of `loom serve` on loopback: 50 concurrent WebSocket clients share ROUNDS rounds of 200 queued prompts
of cheap nodes. Every prompt must be answered over its client's WebSocket and appear in the history; the server's
RSS must stay roughly flat between rounds. Prints requests/s and p50/p99 latency of POST /prompt and GET /history.
Bounded: a fixed number of prompts and requests, and a deadline for each round.
"""

import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import websocket

from loom_server import LoomServer

CLIENTS = 50
PROMPTS = 200
ROUNDS = int(os.environ.get("ROUNDS", "3"))
HISTORY_REQUESTS = 400
ROUND_DEADLINE = 300
RSS_GROWTH_LIMIT_MB = float(os.environ.get("RSS_GROWTH_LIMIT_MB", "40"))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Client:
    """One WebSocket client; records the prompts whose end (`executing` with node null) it was told about."""

    def __init__(self, url):
        self.id = str(uuid.uuid4())
        self.finished = set()
        self.socket = websocket.create_connection(f"{url}/ws?clientId={self.id}", timeout=ROUND_DEADLINE)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        try:
            while True:
                frame = self.socket.recv()
                if not frame:
                    return  # closed
                if isinstance(frame, str):
                    message = json.loads(frame)
                    if message["type"] == "executing" and message["data"]["node"] is None:
                        self.finished.add(message["data"]["prompt_id"])
        except (websocket.WebSocketException, OSError):
            pass


def prompt(round_number, index):
    return {
        "1": {"class_type": "PrimitiveString", "inputs": {"value": f"round {round_number} prompt {index}"}},
        "2": {"class_type": "StringConcatenate",
              "inputs": {"string_a": ["1", 0], "string_b": "done", "delimiter": ", "}},
        "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 0]}},
    }


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(call):
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def run_round(server, clients, round_number, pool):
    """Queues PROMPTS prompts from the clients in turn, all at once, while GET /history is hammered."""
    def submit(index):
        client = clients[index % CLIENTS]
        body = {"prompt": prompt(round_number, index), "client_id": client.id}
        seconds, (status, reply) = timed(lambda: server.post_json("/prompt", body))
        assert status == 200 and not reply["node_errors"], (status, reply)
        return seconds, client, reply["prompt_id"]

    def read_history(_):
        seconds, _ = timed(lambda: server.get("/history?max_items=50"))
        return seconds

    start = time.perf_counter()
    history_future = pool.submit(lambda: list(ThreadPoolExecutor(8).map(read_history, range(HISTORY_REQUESTS))))
    submitted = list(pool.map(submit, range(PROMPTS)))
    submit_seconds = time.perf_counter() - start
    history_latencies = history_future.result(timeout=ROUND_DEADLINE)
    history_seconds = time.perf_counter() - start

    deadline = time.time() + ROUND_DEADLINE
    while not all(prompt_id in client.finished for _, client, prompt_id in submitted):
        assert time.time() < deadline, "some prompts were never reported finished over their WebSocket"
        time.sleep(0.1)
    drained = time.perf_counter() - start
    history = server.get_json(f"/history?max_items={PROMPTS * ROUNDS}")
    missing = [prompt_id for _, _, prompt_id in submitted if prompt_id not in history]
    assert not missing, f"{len(missing)} prompts are missing from the history"
    failed = [i for _, _, i in submitted if history[i]["status"]["status_str"] != "success"]
    assert not failed, f"{len(failed)} prompts did not succeed"
    assert server.get_json("/queue") == {"queue_running": [], "queue_pending": []}
    return [s for s, _, _ in submitted], submit_seconds, history_latencies, history_seconds, drained


def main():
    work = tempfile.mkdtemp(prefix="loom-load-")
    server = LoomServer(work, arguments=["--dont-print-server"])
    try:
        clients = [Client(server.url.replace("http", "ws")) for _ in range(CLIENTS)]
        rss = [rss_mb(server.process.pid)]
        print(f"{CLIENTS} WebSocket clients connected; server RSS {rss[0]:.1f} MB")
        with ThreadPoolExecutor(CLIENTS) as pool:
            for round_number in range(1, ROUNDS + 1):
                posts, post_seconds, gets, get_seconds, drained = run_round(server, clients, round_number, pool)
                rss.append(rss_mb(server.process.pid))
                print(
                    f"round {round_number}: {PROMPTS} prompts all answered in {drained:.2f} s; "
                    f"POST /prompt {PROMPTS / post_seconds:.0f} req/s, p50 {percentile(posts, 0.5) * 1000:.1f} ms, "
                    f"p99 {percentile(posts, 0.99) * 1000:.1f} ms; "
                    f"GET /history {HISTORY_REQUESTS / get_seconds:.0f} req/s, "
                    f"p50 {percentile(gets, 0.5) * 1000:.1f} ms, p99 {percentile(gets, 0.99) * 1000:.1f} ms; "
                    f"RSS {rss[-1]:.1f} MB")
        alive = sum(client.thread.is_alive() for client in clients)
        assert alive == CLIENTS, f"only {alive} of {CLIENTS} WebSockets are still open"
        # The first round warms caches and allocators; after it, memory should stay roughly where it is.
        growth = max(rss[2:]) - rss[1] if len(rss) > 2 else 0
        print(f"RSS after each round: {', '.join(f'{value:.1f}' for value in rss[1:])} MB; growth after round 1 "
              f"{growth:.1f} MB (limit {RSS_GROWTH_LIMIT_MB} MB)")
        assert growth < RSS_GROWTH_LIMIT_MB, "server memory keeps growing"
        for client in clients:
            client.socket.close()
        print("load test passed")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
