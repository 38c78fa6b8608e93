import Loom

/// What the server tells clients it can do — `GET /features` and the answer to a WebSocket
/// `feature_flags` handshake — in ComfyUI's `comfy_api/feature_flags.py` shape.
enum FeatureFlags {
    static func server(_ configuration: ServerConfiguration) -> JSONObject {
        [
            "supports_preview_metadata": true,
            "max_upload_size": .int(configuration.maxUploadBytes),
            "node_replacements": true,
            "assets": false,
        ]
    }
}
