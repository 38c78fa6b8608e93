import Foundation
import LoomImaging

/// The annotator's decoding of body heatmaps and part affinity fields (`Body.__call__` after the network):
/// smoothed-heatmap peaks, limb candidates scored along the fields, greedy matching and assembly into people.
/// Everything is float64 as NumPy computes it, in the same order, so ties break the same way.
public enum BodyPoseDecoder {
    /// Heatmap peaks must exceed this; a limb's field samples must exceed `fieldThreshold` on 80 % of its length.
    static let peakThreshold = 0.1
    static let fieldThreshold = 0.05
    static let samplesPerLimb = 10

    /// Limbs as pairs of 1-based parts (the annotator's `limbSeq`), and the two field channels of each (`mapIdx − 19`).
    public static let limbs: [(Int, Int)] = [
        (2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12), (12, 13), (13, 14),
        (2, 1), (1, 15), (15, 17), (1, 16), (16, 18), (3, 17), (6, 18),
    ]
    static let fieldChannels: [(Int, Int)] = [
        (12, 13), (20, 21), (14, 15), (16, 17), (22, 23), (24, 25), (0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11),
        (28, 29), (30, 31), (34, 35), (32, 33), (36, 37), (18, 19), (26, 27),
    ]

    /// A heatmap peak: pixel position, unsmoothed score and its number among all peaks.
    public struct Candidate: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var score: Double
        public var id: Int
    }

    /// `heatmaps` (19 planes) and `affinities` (38 planes) at the image's size, row-major `height × width`.
    public static func decode(heatmaps: [[Double]], affinities: [[Double]], height: Int, width: Int) -> [BodyPose] {
        let peaks = (0..<BodyPose.partCount).reduce(into: [[Candidate]]()) { peaks, part in
            let first = peaks.reduce(0) { $0 + $1.count }
            peaks.append(findPeaks(heatmaps[part], height: height, width: width, firstID: first))
        }
        let candidates = peaks.flatMap { $0 }
        let connections = limbs.indices.map { k in
            connect(limb: k, peaks: peaks, affinities: affinities, height: height, width: width)
        }
        return assemble(connections: connections, candidates: candidates).map { row in
            BodyPose(keypoints: (0..<BodyPose.partCount).map { part in
                let index = Int(row[part])
                guard index != -1 else { return nil }
                let candidate = candidates[index]
                return PoseKeypoint(x: Double(candidate.x), y: Double(candidate.y), score: candidate.score, id: candidate.id)
            }, totalScore: row[18], totalParts: row[19])
        }
    }

    /// Local maxima of the σ = 3 smoothed heatmap (≥ the four neighbours, the border counting as 0) above the
    /// threshold, in row-major order, scored by the unsmoothed map.
    static func findPeaks(_ map: [Double], height: Int, width: Int, firstID: Int) -> [Candidate] {
        let smoothed = SciPyGaussianFilter.apply(map, height: height, width: width, sigma: 3)
        var peaks: [Candidate] = []
        for y in 0..<height {
            for x in 0..<width {
                let value = smoothed[y * width + x]
                guard value > peakThreshold else { continue }
                let above = y > 0 ? smoothed[(y - 1) * width + x] : 0
                let below = y + 1 < height ? smoothed[(y + 1) * width + x] : 0
                let left = x > 0 ? smoothed[y * width + x - 1] : 0
                let right = x + 1 < width ? smoothed[y * width + x + 1] : 0
                if value >= above && value >= below && value >= left && value >= right {
                    peaks.append(Candidate(x: x, y: y, score: map[y * width + x], id: firstID + peaks.count))
                }
            }
        }
        return peaks
    }

    /// One accepted limb: the two candidates' ids, its score, and their indices within their parts' peaks.
    struct Connection {
        var idA: Int
        var idB: Int
        var score: Double
        var indexA: Int
        var indexB: Int
    }

    /// Scores every pair of candidates for limb `k` along its field, then matches greedily by score; nil
    /// when one of the two parts has no candidates (the annotator's `special_k`).
    static func connect(limb k: Int, peaks: [[Candidate]], affinities: [[Double]], height: Int, width: Int) -> [Connection]? {
        let candidatesA = peaks[limbs[k].0 - 1], candidatesB = peaks[limbs[k].1 - 1]
        guard !candidatesA.isEmpty, !candidatesB.isEmpty else { return nil }
        let fieldX = affinities[fieldChannels[k].0], fieldY = affinities[fieldChannels[k].1]
        var scored: [(i: Int, j: Int, score: Double)] = []
        for (i, a) in candidatesA.enumerated() {
            for (j, b) in candidatesB.enumerated() {
                let vx = Double(b.x - a.x), vy = Double(b.y - a.y)
                let norm = max(0.001, (vx * vx + vy * vy).squareRoot())
                let ux = vx / norm, uy = vy / norm
                let xs = linspace(Double(a.x), Double(b.x)), ys = linspace(Double(a.y), Double(b.y))
                var samples: [Double] = []
                for s in 0..<samplesPerLimb {
                    let px = Int(xs[s].rounded(.toNearestOrEven)), py = Int(ys[s].rounded(.toNearestOrEven))
                    samples.append(fieldX[py * width + px] * ux + fieldY[py * width + px] * uy)
                }
                let mean = samples.reduce(0, +) / Double(samplesPerLimb)
                let score = mean + min(0.5 * Double(height) / norm - 1, 0)
                let above = samples.filter { $0 > fieldThreshold }.count
                if Double(above) > 0.8 * Double(samplesPerLimb) && score > 0 {
                    scored.append((i, j, score))
                }
            }
        }
        // Python's stable sort, best first.
        let order = scored.indices.sorted { scored[$0].score > scored[$1].score || (scored[$0].score == scored[$1].score && $0 < $1) }
        var connections: [Connection] = []
        let limit = min(candidatesA.count, candidatesB.count)
        for index in order {
            let (i, j, score) = scored[index]
            if !connections.contains(where: { $0.indexA == i }) && !connections.contains(where: { $0.indexB == j }) {
                connections.append(Connection(idA: candidatesA[i].id, idB: candidatesB[j].id, score: score, indexA: i, indexB: j))
                if connections.count >= limit { break }
            }
        }
        return connections
    }

    /// `np.linspace(start, stop, num=10)`: i·step + start, the last exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double) -> [Double] {
        let step = (stop - start) / Double(samplesPerLimb - 1)
        var values = (0..<samplesPerLimb).map { step == 0 ? start : Double($0) * step + start }
        values[samplesPerLimb - 1] = stop
        return values
    }

    /// The annotator's person assembly: rows of 18 candidate indices (−1 for none), the total score and the
    /// part count; people with fewer than 4 parts or a mean score under 0.4 are dropped.
    static func assemble(connections: [[Connection]?], candidates: [Candidate]) -> [[Double]] {
        var people: [[Double]] = []
        for (k, limbConnections) in connections.enumerated() {
            guard let limbConnections else { continue }
            let partA = limbs[k].0 - 1, partB = limbs[k].1 - 1
            for connection in limbConnections {
                let a = Double(connection.idA), b = Double(connection.idB)
                var found: [Int] = []
                for (index, person) in people.enumerated() where person[partA] == a || person[partB] == b {
                    // The annotator keeps two slots; a third match would overflow its list.
                    if found.count < 2 { found.append(index) }
                }
                if found.count == 1 {
                    let j = found[0]
                    if people[j][partB] != b {
                        people[j][partB] = b
                        people[j][19] += 1
                        people[j][18] += candidates[connection.idB].score + connection.score
                    }
                } else if found.count == 2 {
                    let (j1, j2) = (found[0], found[1])
                    let overlap = (0..<18).contains { people[j1][$0] >= 0 && people[j2][$0] >= 0 }
                    if !overlap {
                        for part in 0..<18 { people[j1][part] += people[j2][part] + 1 }
                        people[j1][18] += people[j2][18]
                        people[j1][19] += people[j2][19]
                        people[j1][18] += connection.score
                        people.remove(at: j2)
                    } else {
                        people[j1][partB] = b
                        people[j1][19] += 1
                        people[j1][18] += candidates[connection.idB].score + connection.score
                    }
                } else if k < 17 {
                    var row = [Double](repeating: -1, count: 20)
                    row[partA] = a
                    row[partB] = b
                    row[19] = 2
                    row[18] = candidates[connection.idA].score + candidates[connection.idB].score + connection.score
                    people.append(row)
                }
            }
        }
        return people.filter { !($0[19] < 4 || $0[18] / $0[19] < 0.4) }
    }
}
