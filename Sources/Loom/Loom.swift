@_exported import LoomGraph
@_exported import LoomNodes
@_exported import LoomModelFiles
@_exported import LoomModels
