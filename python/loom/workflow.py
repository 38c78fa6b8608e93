"""Workflows: nodes found by id or title, widget values set before a run."""

from __future__ import annotations

import ctypes
import json
from collections.abc import Iterator
from typing import Any

from . import _native
from ._handle import OwnedHandle
from .errors import check


class Workflow(OwnedHandle):
    """A loaded workflow. `wf["KSampler"].seed = 7` sets a widget: nodes are found by id, then by title, then by
    class when only one node has it. Values are checked when the workflow is validated or run, as ComfyUI does."""

    _kind = "workflow"
    _release = _native.lib.loom_workflow_free

    def __init__(self, handle: ctypes.c_void_p) -> None:
        super().__init__(handle)
        self._api: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The workflow in ComfyUI's API format: {node id: {"class_type", "inputs", "_meta": {"title"}}}."""
        if self._api is None:
            pointer = ctypes.c_void_p()
            check(_native.lib.loom_workflow_to_json(self.handle, ctypes.byref(pointer)))
            self._api = json.loads(_native.take_string(pointer))
        return self._api

    @property
    def ids(self) -> list[str]:
        return list(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    def __iter__(self) -> Iterator[Node]:
        return (Node(self, node_id) for node_id in self.to_dict())

    def __getitem__(self, key: str | int) -> Node:
        return Node(self, self.find(key))

    def find(self, key: str | int) -> str:
        """The id of the node `key` names: an id, a title, or a class that one node has."""
        api = self.to_dict()
        key = str(key)
        if key in api:
            return key
        for field in ("title", "class_type"):
            matches = [node_id for node_id, node in api.items() if _field(node, field) == key]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise KeyError(f"{len(matches)} nodes have the {field.replace('_', ' ')} {key!r}: ids {matches}")
        described = ", ".join(f"{node_id} ({_field(node, 'title') or node.get('class_type')})" for node_id, node in api.items())
        raise KeyError(f"no node with the id, title or class {key!r}; the nodes are {described}")

    def set(self, node: str | int, input_name: str, value: Any) -> None:
        """Sets a widget input of a node (by id, title or class) to a JSON-compatible value."""
        node_id = self.find(node)
        text = json.dumps(_plain(value))
        check(_native.lib.loom_workflow_set_input(self.handle, node_id.encode(), input_name.encode(), text.encode()))
        self._api = None

    def __repr__(self) -> str:
        return f"<loom.Workflow with {len(self)} nodes>" if self._handle else "<loom.Workflow (closed)>"


class Node:
    """One node of a workflow. Reading an attribute gives an input's value (a link reads as [node id, output]);
    setting one sets the widget: `node.seed = 7`, `node["cfg"] = 1.5`."""

    __slots__ = ("_workflow", "id")

    def __init__(self, workflow: Workflow, node_id: str) -> None:
        object.__setattr__(self, "_workflow", workflow)
        object.__setattr__(self, "id", node_id)

    @property
    def class_type(self) -> str:
        return self._workflow.to_dict()[self.id]["class_type"]

    @property
    def title(self) -> str | None:
        return _field(self._workflow.to_dict()[self.id], "title")

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self._workflow.to_dict()[self.id].get("inputs", {}))

    def __getitem__(self, name: str) -> Any:
        inputs = self.inputs
        if name not in inputs:
            raise KeyError(f"node {self.id} ({self.class_type}) has no input {name!r} set; it has {sorted(inputs)}")
        return inputs[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._workflow.set(self.id, name, value)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(str(error)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __repr__(self) -> str:
        return f"<loom.Node {self.id} {self.class_type}{f' {self.title!r}' if self.title else ''}>"


def _field(node: dict[str, Any], field: str) -> Any:
    return (node.get("_meta") or {}).get("title") if field == "title" else node.get(field)


def _plain(value: Any) -> Any:
    """NumPy scalars and paths as JSON values."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "__fspath__"):
        return str(value)
    return value
