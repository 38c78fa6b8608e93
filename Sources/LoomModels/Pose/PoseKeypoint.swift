/// One detected point. Body points are in pixels of the image they were found in until the detector
/// divides them by its size; hand and face points are kept as the float32 values the annotator computes.
public struct PoseKeypoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public var score: Double
    /// The candidate's number among all parts found (body points), −1 otherwise.
    public var id: Int

    public init(x: Double, y: Double, score: Double = 1, id: Int = -1) {
        self.x = x
        self.y = y
        self.score = score
        self.id = id
    }
}

/// One person's 18 body points in the OpenPose order (nose, neck, right shoulder/elbow/wrist, left
/// shoulder/elbow/wrist, right hip/knee/ankle, left hip/knee/ankle, right/left eye, right/left ear); nil
/// where a part was not found.
public struct BodyPose: Sendable, Equatable {
    public static let partCount = 18

    public var keypoints: [PoseKeypoint?]
    public var totalScore: Double
    public var totalParts: Double

    public init(keypoints: [PoseKeypoint?], totalScore: Double, totalParts: Double) {
        self.keypoints = keypoints
        self.totalScore = totalScore
        self.totalParts = totalParts
    }
}

/// A person as the annotator reports and draws them (the pack's `PoseResult`), points normalised to 0...1
/// by the detection image's size. Detected hands and faces have every point; ones read back from POSE_KEYPOINT
/// may lack some (nil).
public struct PersonPose: Sendable, Equatable {
    public var body: BodyPose
    public var leftHand: [PoseKeypoint?]?
    public var rightHand: [PoseKeypoint?]?
    public var face: [PoseKeypoint?]?

    public init(body: BodyPose, leftHand: [PoseKeypoint?]? = nil, rightHand: [PoseKeypoint?]? = nil, face: [PoseKeypoint?]? = nil) {
        self.body = body
        self.leftHand = leftHand
        self.rightHand = rightHand
        self.face = face
    }
}
