import Loom
print(NodeLibrary.registry.names)
