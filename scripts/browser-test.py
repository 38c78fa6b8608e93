"""Drives ComfyUI's web frontend, served by `loom serve`, in headless Chromium over the DevTools protocol.

Steps, each with a screenshot in SCREENSHOTS (default /tmp/loom-browser-test): the page loads with Loom's node
definitions; the node library's search finds Load Image; a LoadImage → ImageInvert → SaveImage workflow is loaded into the
graph and queued through the app's own queue function; the output image appears on the SaveImage node and in
the Media Assets panel, which reads /api/jobs; the template browser (templates from the installed
comfyui-workflow-templates packages, served at /templates) opens the Flux.1 Dev text-to-image template, which loads
with the bundled tiny models (graphs/models), runs at 64² from the Run button and shows its image; the job queue
panel shows a running Flux job next to the finished ones; the Cancel button stops the running job; the DashTailor
editor workflow (graphs/dashtailor-ui.json) loads with its five groups and every node known, and its screenshot is
saved (set DASHTAILOR_SCREENSHOT to a path to keep a copy there, as docs/dashtailor-graph.png was made).
Needs `websocket-client`, Debian's `chromium`, a built `loom`, the frontend folder (FRONT_END_ROOT) and the
templates packages importable by the `python3` on PATH.
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
REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(REPOSITORY, "graphs", "models")
DASHTAILOR = os.path.join(REPOSITORY, "graphs", "dashtailor-ui.json")
FLUX_TEMPLATE = "flux_dev_full_text_to_image"


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
        return path

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def wait_for_saved_image(browser, filename):
    """Waits until the SaveImage node (or an <img> on the page) shows `filename` from /view; returns its URL."""
    return browser.wait_for(
        "(() => { const node = app.graph.nodes.find(n => n.type === 'SaveImage');"
        " const imgs = (node && node.imgs) || [];"
        " const dom = [...document.querySelectorAll('img')].filter(i => i.src.includes('/view?'));"
        " const loaded = [...imgs, ...dom].filter(i => i.complete && i.naturalWidth > 0"
        f" && decodeURIComponent(i.src).includes({json.dumps(filename)}));"
        " return loaded.length ? loaded[0].src : false })()",
        f"{filename} shown on the SaveImage node")


def set_flux_size(browser, size):
    """Sets the width and height the Flux template's subgraph node shows on its face, as a user would."""
    browser.evaluate(
        "(() => { const node = app.graph.nodes.find(n => n.isSubgraphNode && n.isSubgraphNode());"
        f" for (const w of node.widgets) if (w.name === 'width' || w.name === 'height') w.value = {size} }})()")


def click_button(browser, label):
    """Clicks the button whose text or aria-label is `label`."""
    clicked = browser.evaluate(
        f"(() => {{ const b = [...document.querySelectorAll('button')].find(e => e.innerText.trim() === {json.dumps(label)}"
        f" || e.getAttribute('aria-label') === {json.dumps(label)}); if (b) b.click(); return !!b }})()")
    assert clicked, f"no '{label}' button"


def run_from_button(browser, server):
    """Clicks Run and returns the id of the prompt it queued."""
    before = {job["id"] for job in server.get_json("/api/jobs")["jobs"]}
    click_button(browser, "Run")
    deadline = time.time() + 30
    while True:
        new = [job["id"] for job in server.get_json("/api/jobs")["jobs"] if job["id"] not in before]
        if new:
            return new[0]
        assert time.time() < deadline, "clicking Run queued nothing"
        time.sleep(0.1)


def flux_template(browser, server):
    """Steps 6-9: the Flux template from the template browser, the queue panel, and cancel."""
    print("6. the template browser opens the Flux.1 Dev text-to-image template (from /templates)")
    browser.evaluate("app.extensionManager.command.execute('Workspace.ToggleSidebarTab.assets')")
    index = server.get_json("/templates/index.json")
    assert any(t["name"] == FLUX_TEMPLATE for category in index for t in category.get("templates", [])), \
        "the installed templates' index.json has no Flux.1 Dev text-to-image template"
    browser.evaluate("app.extensionManager.command.execute('Comfy.BrowseTemplates')")
    card = f"[data-testid=template-workflow-{FLUX_TEMPLATE}]"
    search = "[...document.querySelectorAll('[role=dialog] input')].find(i => i.placeholder.startsWith('Search'))"
    browser.wait_for(f"!!{search}", "the template browser's search box", timeout=30)
    browser.evaluate(f"{search}.focus()")
    browser.call("Input.insertText", text="Flux.1 Dev")
    browser.wait_for(f"!!document.querySelector('{card}')", "the Flux.1 Dev card", timeout=30)
    time.sleep(1)
    browser.screenshot("6-template-browser")
    browser.evaluate(f"document.querySelector('{card}').click()")
    # The template's models are the file names the bundled tiny models have, so no missing-models dialog opens.
    inner = browser.wait_for(
        "(() => { const s = app.graph.subgraphs && [...app.graph.subgraphs.values()][0];"
        " return s && s.nodes.map(n => n.type).sort().join(',') })()", "the template's subgraph in the graph")
    assert "UNETLoader" in inner and "DualCLIPLoader" in inner and "KSampler" in inner, inner
    set_flux_size(browser, 64)
    time.sleep(1)
    browser.screenshot("6-flux-template")

    print("7. run it from the Run button at 64 × 64; its image appears on SaveImage")
    finished_id = run_from_button(browser, server)
    entry = server.wait_for_history(finished_id, timeout=180)
    assert entry["status"]["status_str"] == "success", entry["status"]
    job = server.get_json(f"/api/jobs/{finished_id}")
    print(f"  ran in {(job['execution_end_time'] - job['execution_start_time']) / 1000:.2f} s")
    prompt = job["workflow"]["prompt"]
    classes = sorted(node["class_type"] for node in prompt.values())
    assert "UNETLoader" in classes and "EmptySD3LatentImage" in classes, classes
    latent = next(node for node in prompt.values() if node["class_type"] == "EmptySD3LatentImage")
    assert (latent["inputs"]["width"], latent["inputs"]["height"]) == (64, 64), latent
    filename = [image for output in entry["outputs"].values() for image in output.get("images", [])][0]["filename"]
    wait_for_saved_image(browser, filename)
    time.sleep(1)
    browser.screenshot("7-flux-output")

    print("8. the job queue panel shows a running job and the finished ones")
    set_flux_size(browser, 320)
    browser.evaluate("app.extensionManager.command.execute('Comfy.Queue.ToggleOverlay')")
    running_id = run_from_button(browser, server)
    browser.wait_for(
        "document.body.innerText.includes('1 running') && document.body.innerText.includes('Total:')",
        "a running job in the queue panel", timeout=60)
    text = browser.evaluate("document.body.innerText")
    assert filename in text, f"the finished job {filename} is not in the queue panel"
    jobs = {job["id"]: job for job in server.get_json("/api/jobs")["jobs"]}
    assert jobs[running_id]["status"] == "in_progress", jobs[running_id]
    assert jobs[finished_id]["status"] == "completed", jobs[finished_id]
    browser.screenshot("8-queue-running")

    print("9. Cancel current run stops the running job")
    started = time.time()
    click_button(browser, "Cancel current run")
    entry = server.wait_for_history(running_id, timeout=60)
    stopped = time.time() - started
    kinds = [message[0] for message in entry["status"]["messages"]]
    assert "execution_interrupted" in kinds and "execution_success" not in kinds, kinds
    assert server.get_json(f"/api/jobs/{running_id}")["status"] == "cancelled"
    browser.wait_for("!document.body.innerText.includes('1 running')", "the queue panel without a running job")
    time.sleep(1)
    browser.screenshot("9-cancelled")
    print(f"  stopped {stopped:.2f} s after the click")


def dashtailor_graph(browser):
    """Step 10: the DashTailor editor workflow loads with its groups, and every node type is one Loom serves."""
    print("10. the DashTailor workflow (graphs/dashtailor-ui.json) loads with its five groups")
    browser.evaluate("app.extensionManager.command.execute('Comfy.Queue.ToggleOverlay')")
    with open(DASHTAILOR) as file:
        workflow = json.load(file)
    browser.evaluate(f"app.loadGraphData({json.dumps(workflow)}, true, true, 'dashtailor')")
    expected_types = sorted(node["type"] for node in workflow["nodes"])
    browser.wait_for(
        f"JSON.stringify(app.graph.nodes.map(n => n.type).sort()) === {json.dumps(json.dumps(expected_types, separators=(',', ':')))}",
        "DashTailor's nodes in the graph")
    titles = browser.evaluate("app.graph.groups.map(g => g.title)")
    assert titles == [group["title"] for group in workflow["groups"]], titles
    unknown = browser.evaluate("app.graph.nodes.filter(n => !LiteGraph.registered_node_types[n.type]).map(n => n.type)")
    assert not unknown, f"node types the web UI does not know: {unknown}"
    members = browser.evaluate(
        "app.graph.groups.map(g => { g.recomputeInsideNodes(); return [...g.children].length })")
    assert all(count > 0 for count in members), f"a group holds no nodes: {members}"
    # The whole graph in a larger window, drawn in full detail (no simplified boxes when zoomed out).
    browser.call("Emulation.setDeviceMetricsOverride", width=2400, height=1500, deviceScaleFactor=1, mobile=False)
    browser.evaluate("app.extensionManager.setting.set('LiteGraph.Canvas.MinFontSizeForLOD', 0)")
    time.sleep(1)
    browser.evaluate("app.canvas.deselectAll(); app.extensionManager.command.execute('Comfy.Canvas.FitView')")
    time.sleep(2)
    path = browser.screenshot("10-dashtailor")
    if os.environ.get("DASHTAILOR_SCREENSHOT"):
        shutil.copyfile(path, os.environ["DASHTAILOR_SCREENSHOT"])
    print(f"  {len(expected_types)} nodes in groups of {members}")


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
    for name in ("person.png", "garment.png"):
        shutil.copyfile(os.path.join(REPOSITORY, "graphs", "input", name), os.path.join(base, "input", name))
    server = LoomServer(base, arguments=["--front-end-root", FRONT_END_ROOT, "--models-dir", MODELS])
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
        shown = wait_for_saved_image(browser, images[0]["filename"])
        time.sleep(1)
        browser.screenshot("4-output")
        print(f"  shown: {shown}")

        print("5. the Media Assets panel lists the job's output (from /api/jobs)")
        browser.evaluate("app.extensionManager.command.execute('Workspace.ToggleSidebarTab.assets')")
        stem = images[0]["filename"].rsplit(".", 1)[0]
        browser.wait_for(f"document.body.innerText.includes({json.dumps(stem)})", "the output in Media Assets")
        time.sleep(1)
        browser.screenshot("5-media-assets")

        flux_template(browser, server)
        dashtailor_graph(browser)

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
