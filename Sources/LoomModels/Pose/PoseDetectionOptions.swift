/// What comfyui_controlnet_aux's pose annotators (OpenPose and DWPose) are asked for: the map's resolution,
/// which parts to find, and xinsir's thicker sticks.
public struct PoseDetectionOptions: Sendable, Equatable {
    public var resolution: Int
    public var body: Bool
    public var hands: Bool
    public var face: Bool
    public var scaleSticksForXinsir: Bool

    public init(resolution: Int = 512, body: Bool = true, hands: Bool = true, face: Bool = true, scaleSticksForXinsir: Bool = false) {
        self.resolution = resolution
        self.body = body
        self.hands = hands
        self.face = face
        self.scaleSticksForXinsir = scaleSticksForXinsir
    }
}
