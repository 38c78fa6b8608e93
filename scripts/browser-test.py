"""Drives ComfyUI's web frontend, served by `loom serve`, in headless Chromium over the DevTools protocol.

Steps, each with a screenshot in SCREENSHOTS (default /tmp/loom-browser-test): the page loads with Loom's node
definitions; the node library's search finds Load Image; a LoadImage → ImageInvert → SaveImage workflow is loaded into the
graph and queued through the app's own queue function; the output image appears on the SaveImage node and in
the Media Assets panel, which reads /api/jobs.
Needs `websocket-client`, Debian's `chromium`, a built `loom` and the frontend folder (FRONT_END_ROOT).
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

from loom_server import LoomServer, free_port, invert_workflow, write_input_image

SCREENSHOTS = os.environ.get("SCREENSHOTS", "/tmp/loom-browser-test")
FRONT_END_ROOT = os.environ["FRONT_END_ROOT"]


class Browser:
    """One headless Chromium page, driven over a DevTools WebSocket."""

    def __init__(self, profile):
        port = free_port()
        self.process = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--remote-debugging-port={port}", "--remote-allow-origins=*", f"--user-data-dir={profile}",
             "--window-size=1440,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    pages = [t for t in json.load(response) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.2)
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.failed_requests = []
        self.console_errors = []
        for domain in ("Page", "Runtime", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.observe(message)

    def observe(self, event):
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.responseReceived" and params["response"]["status"] >= 400:
            self.failed_requests.append(f"{params['response']['status']} {params['response']['url']}")
        elif method == "Runtime.exceptionThrown":
            self.console_errors.append(params["exceptionDetails"].get("text", ""))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.25)
        self.screenshot("failure")
        raise AssertionError(f"timed out waiting for {what}")

    def screenshot(self, name):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(SCREENSHOTS, f"{name}.png")
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        print(f"  screenshot {path}")

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def main():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    os.makedirs(SCREENSHOTS)
    work = tempfile.mkdtemp(prefix="loom-browser-")
    base = os.path.join(work, "base")
    os.makedirs(os.path.join(base, "user", "default"))
    # A returning user: no first-run template browser over the canvas.
    with open(os.path.join(base, "user", "default", "comfy.settings.json"), "w") as settings:
        json.dump({"Comfy.TutorialCompleted": True}, settings)
    write_input_image(base)
    server = LoomServer(base, arguments=["--front-end-root", FRONT_END_ROOT])
    browser = Browser(os.path.join(work, "chromium"))
    try:
        print(f"1. load {server.url}")
        browser.call("Page.navigate", url=server.url)
        browser.wait_for(
            "!!(window.app && window.app.graph && window.LiteGraph"
            " && LiteGraph.registered_node_types['LoadImage'])", "the app with Loom's node definitions")
        # The settings and workflow routes answered: the app replaced its loading screen with the canvas.
        browser.wait_for("!!document.querySelector('canvas')", "the graph canvas")
        time.sleep(2)
        browser.screenshot("1-loaded")

        print("2. the node library lists Loom's nodes; searching it finds Load Image")
        browser.evaluate("app.extensionManager.command.execute('Workspace.ToggleSidebarTab.node-library')")
        browser.wait_for(
            "[...document.querySelectorAll('input')].some(i => i.placeholder.startsWith('Search Nodes'))",
            "the node library's search box", timeout=20)
        browser.evaluate(
            "[...document.querySelectorAll('input')].find(i => i.placeholder.startsWith('Search Nodes')).focus()")
        browser.call("Input.insertText", text="Load Image")
        browser.wait_for(
            "[...document.querySelectorAll('.p-tree-node-label, [role=treeitem], li')]"
            ".some(e => e.innerText.trim().startsWith('Load Image'))",
            "'Load Image' in the node library's search results", timeout=20)
        time.sleep(1)
        browser.screenshot("2-node-library")
        browser.evaluate("app.extensionManager.command.execute('Workspace.ToggleSidebarTab.node-library')")

        print("3. load LoadImage → ImageInvert → SaveImage into the graph")
        browser.evaluate(f"app.loadApiJson({json.dumps(invert_workflow(prefix='browser'))}, 'loom-browser-test')")
        browser.wait_for(
            "app.graph.nodes.map(n => n.type).sort().join(',') === 'ImageInvert,LoadImage,SaveImage'",
            "the three nodes in the graph")
        time.sleep(1)
        browser.screenshot("3-workflow")

        print("4. queue it with the app's queue function and wait for the output image on SaveImage")
        before = set(server.get_json("/history"))
        browser.evaluate("app.queuePrompt(0, 1)")
        deadline = time.time() + 60
        while not set(server.get_json("/history")) - before:
            assert time.time() < deadline, "the queued prompt never reached the history"
            time.sleep(0.2)
        prompt_id = (set(server.get_json("/history")) - before).pop()
        entry = server.wait_for_history(prompt_id)
        assert entry["status"]["status_str"] == "success", entry["status"]
        images = [image for output in entry["outputs"].values() for image in output.get("images", [])]
        assert images and images[0]["filename"].startswith("browser"), entry["outputs"]
        shown = browser.wait_for(
            "(() => { const node = app.graph.nodes.find(n => n.type === 'SaveImage');"
            " const imgs = (node && node.imgs) || [];"
            " const dom = [...document.querySelectorAll('img')].filter(i => i.src.includes('/view?'));"
            " const loaded = [...imgs, ...dom].filter(i => i.complete && i.naturalWidth > 0);"
            " return loaded.length ? loaded[0].src : false })()",
            "the output image shown on the SaveImage node")
        assert images[0]["filename"] in urllib.request.unquote(shown), shown
        time.sleep(1)
        browser.screenshot("4-output")
        print(f"  shown: {shown}")

        print("5. the Media Assets panel lists the job's output (from /api/jobs)")
        browser.evaluate("app.extensionManager.command.execute('Workspace.ToggleSidebarTab.assets')")
        stem = images[0]["filename"].rsplit(".", 1)[0]
        browser.wait_for(f"document.body.innerText.includes({json.dumps(stem)})", "the output in Media Assets")
        time.sleep(1)
        browser.screenshot("5-media-assets")

        unexpected = [r for r in browser.failed_requests if "/api/" in r]
        if unexpected:
            print("  API requests that failed (tolerated by the frontend):", *unexpected, sep="\n    ")
        print("browser test passed")
    finally:
        browser.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
