import LoomImaging
import LoomModelFiles
import Testing

/// LoomImaging's OpenCV and SciPy stand-ins against what cv2 and scipy computed (opencv.safetensors).
@Suite struct OpenCVCompatibilityTests {
    let golden = PoseGolden.opencv

    @Test func areaResizeMatchesOpenCV() {
        let source = PoseGolden.image(golden, "resize.source"), even = PoseGolden.image(golden, "resize.even_source")
        let fraction = OpenCVResize.resize(source, height: 17, width: 13, interpolation: .area)
        #expect(fraction == PoseGolden.image(golden, "resize.area_fraction"))
        let half = OpenCVResize.resize(even, height: 17, width: 13, interpolation: .area)
        let halfDifference = byteDifferences(half.samples, PoseGolden.bytes(golden, "resize.area_half"))
        #expect(halfDifference.largest <= 1 && halfDifference.count <= 8, "\(halfDifference)")
        let third = OpenCVResize.resize(even.cropped(height: 33, width: 24), height: 11, width: 8, interpolation: .area)
        #expect(third == PoseGolden.image(golden, "resize.area_third"))
    }

    @Test func cubicAndLanczosResizeMatchOpenCV() {
        let source = PoseGolden.image(golden, "resize.source")
        let cubic = OpenCVResize.resize(source, height: 53, width: 71, interpolation: .cubic)
        let cubicDifference = byteDifferences(cubic.samples, PoseGolden.bytes(golden, "resize.cubic_up"))
        #expect(cubicDifference.count == 0, "\(cubicDifference)")
        let lanczos = OpenCVResize.resize(source, height: 50, width: 40, interpolation: .lanczos4)
        let lanczosDifference = byteDifferences(lanczos.samples, PoseGolden.bytes(golden, "resize.lanczos_up"))
        #expect(lanczosDifference.largest <= 1 && lanczosDifference.count <= lanczos.samples.count / 200, "\(lanczosDifference)")
    }

    @Test func floatPlanesResizeAsOpenCV() {
        let plane = PoseGolden.floats(golden, "resize.plane")
        let upsampled = OpenCVResize.resize(plane: plane, height: 9, width: 7, toHeight: 72, toWidth: 56, interpolation: .lanczos4)
        let expected = PoseGolden.floats(golden, "resize.plane_lanczos_x8")
        #expect(zip(upsampled, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
        let area = OpenCVResize.resize(plane: expected, height: 72, width: 56, toHeight: 31, toWidth: 23, interpolation: .area)
        #expect(zip(area, PoseGolden.floats(golden, "resize.plane_area")).allSatisfy { abs($0 - $1) <= 1e-5 })
        let lanczos = OpenCVResize.resize(plane: plane, height: 9, width: 7, toHeight: 29, toWidth: 37, interpolation: .lanczos4)
        #expect(zip(lanczos, PoseGolden.floats(golden, "resize.plane_lanczos")).allSatisfy { abs($0 - $1) <= 1e-5 })
    }

    @Test func ellipsesAndConvexPolygonsMatchOpenCV() {
        let parameters = PoseGolden.integers(golden, "draw.ellipses")
        let polygons = PoseGolden.document["ellipse_polygons"]!.arrayValue!.map { $0.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } } }
        var canvas = ByteImage(height: 64, width: 80, channels: 3)
        for (index, polygon) in polygons.enumerated() {
            let p = Array(parameters[(index * 8)..<(index * 8 + 8)])
            let points = ByteImage.ellipsePolygon(center: PixelPoint(x: p[0], y: p[1]), axes: (p[2], p[3]), angle: p[4],
                                                  arcStart: 0, arcEnd: 360, delta: 1)
            #expect(points.map { [$0.x, $0.y] } == polygon, "ellipse \(index)")
            canvas.fillConvexPolygon(points, color: p[5...7].map(Double.init))
        }
        let difference = byteDifferences(canvas.samples, PoseGolden.bytes(golden, "draw.ellipse_canvas"))
        #expect(difference.count == 0, "\(difference)")
    }

    @Test func circlesAndLinesMatchOpenCV() {
        let circles = PoseGolden.integers(golden, "draw.circles")
        var canvas = ByteImage(height: 64, width: 80, channels: 3)
        for index in 0..<(circles.count / 6) {
            let c = Array(circles[(index * 6)..<(index * 6 + 6)])
            canvas.fillCircle(center: PixelPoint(x: c[0], y: c[1]), radius: c[2], color: c[3...5].map(Double.init))
        }
        #expect(byteDifferences(canvas.samples, PoseGolden.bytes(golden, "draw.circle_canvas")).count == 0)
        let lines = PoseGolden.doubles(golden, "draw.lines")
        canvas = ByteImage(height: 64, width: 80, channels: 3)
        for index in 0..<(lines.count / 8) {
            let l = Array(lines[(index * 8)..<(index * 8 + 8)])
            canvas.drawLine(from: PixelPoint(x: Int(l[0]), y: Int(l[1])), to: PixelPoint(x: Int(l[2]), y: Int(l[3])),
                            color: Array(l[5...7]), thickness: Int(l[4]))
        }
        let difference = byteDifferences(canvas.samples, PoseGolden.bytes(golden, "draw.line_canvas"))
        #expect(difference.count == 0, "\(difference)")
    }

    @Test func gaussianFilterMatchesSciPy() {
        for (source, expected, shape) in [("gaussian.source", "gaussian.filtered", (23, 19)), ("gaussian.tiny_source", "gaussian.tiny_filtered", (5, 4))] {
            let filtered = SciPyGaussianFilter.apply(PoseGolden.doubles(golden, source), height: shape.0, width: shape.1, sigma: 3)
            let reference = PoseGolden.doubles(golden, expected)
            let worst = zip(filtered, reference).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-14, "\(source): \(worst)")
        }
    }
}
