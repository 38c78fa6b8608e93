import ArgumentParser
import Foundation
import LoomImaging

extension BenchCommand {
    /// Image operations at workflow sizes: a 2048×2048 RGB image scaled down to half, a half-size image
    /// scaled up to 2048×2048, with each filter; compositing with a mask, stitching and growing a mask.
    /// Build with `-c release` for real figures.
    struct Images: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time image operations on a 2048×2048 RGB image: scaling, compositing, stitching, mask growth.")

        @Option(help: "Side of the square test image in pixels.")
        var size = 2048

        @Option(help: "Repetitions of each operation; the best is reported.")
        var repetitions = 5

        func run() throws {
            let image = Self.testImage(size: size)
            let mask = Self.testMask(size: size)
            let half = size / 2
            let source = image.resized(width: half, height: half, method: .bilinear)
            var operations: [(String, () -> Void)] = []
            for method in [ResamplingMethod.bilinear, .bicubic, .lanczos, .area] {
                operations.append(("scale \(method.rawValue) \(size)→\(half)", {
                    _ = image.resized(width: half, height: half, method: method)
                }))
                operations.append(("scale \(method.rawValue) \(half)→\(size)", {
                    _ = source.resized(width: size, height: size, method: method)
                }))
            }
            let sourceMask = mask.resized(width: half, height: half, method: .bilinear)
            operations.append(("composite \(half)² with mask onto \(size)²", {
                _ = image.compositing(source: source, x: half / 2, y: half / 2, mask: sourceMask)
            }))
            operations.append(("stitch right, matched size", {
                _ = image.stitched(with: image, direction: .right, matchingSize: true, spacing: 0, spacingColor: .white)
            }))
            operations.append(("grow mask, expand 8, tapered", { _ = mask.grown(by: 8, taperedCorners: true) }))
            operations.append(("grow mask, expand 8, square", { _ = mask.grown(by: 8, taperedCorners: false) }))

            // CPU time beside wall time: on a busy machine the wall time mostly measures waiting.
            print("operation                                   best wall ms   CPU ms/run")
            let clock = ContinuousClock()
            for (name, operation) in operations {
                var best = Duration.seconds(1_000)
                let cpuStart = Self.cpuSeconds()
                for _ in 0..<repetitions { best = min(best, clock.measure(operation)) }
                let cpu = (Self.cpuSeconds() - cpuStart) / Double(repetitions)
                print(
                    name.padding(toLength: 44, withPad: " ", startingAt: 0)
                        + String(format: "%12.1f %12.1f", best.microseconds / 1000, cpu * 1000))
            }
        }

        /// User and system time this process has used, all threads together.
        static func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }

        /// Smooth gradients with fine detail, so no filter meets a constant image.
        static func testImage(size: Int) -> Image {
            var pixels = [Float](repeating: 0, count: size * size * 3)
            for y in 0..<size {
                for x in 0..<size {
                    let index = (y * size + x) * 3
                    pixels[index] = Float(x) / Float(size)
                    pixels[index + 1] = Float(y) / Float(size)
                    pixels[index + 2] = Float((x * 7 + y * 13) % 256) / 255
                }
            }
            return Image(batchCount: 1, height: size, width: size, channels: 3, pixels: pixels)
        }

        /// A filled disc: masks in workflows are mostly regions with edges.
        static func testMask(size: Int) -> Mask {
            let centre = Float(size) / 2, radius = Float(size) / 3
            var values = [Float](repeating: 0, count: size * size)
            for y in 0..<size {
                for x in 0..<size {
                    let dx = Float(x) - centre, dy = Float(y) - centre
                    values[y * size + x] = dx * dx + dy * dy < radius * radius ? 1 : 0
                }
            }
            return Mask(batchCount: 1, height: size, width: size, values: values)
        }
    }
}
