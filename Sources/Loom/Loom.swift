@_exported import LoomGraph
@_exported import LoomNodes
