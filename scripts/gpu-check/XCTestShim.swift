// The part of XCTest that Tests/LoomVulkanTests use, so those tests build into one executable with the Swift
// runtime linked in statically (the toolchain has no static XCTest) and run on a machine without Swift.
@_exported import Foundation

open class XCTestCase {
    public required init() {}
}

/// Thrown by a test that does not apply to this device.
public struct XCTSkip: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String? = nil) { description = message ?? "skipped" }
}

/// Failures recorded by the assertions while the current test runs; the runner reads and clears them.
public enum XCTestFailures {
    nonisolated(unsafe) public static var recorded: [String] = []
}

public func XCTFail(_ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTestFailures.recorded.append("\(file):\(line): \(message)")
}

private func check(_ passed: Bool, _ what: @autoclosure () -> String, _ message: () -> String, _ file: StaticString, _ line: UInt) {
    guard !passed else { return }
    let note = message()
    XCTFail(what() + (note.isEmpty ? "" : " - " + note), file: file, line: line)
}

private func evaluated<T>(_ expression: () throws -> T, _ file: StaticString, _ line: UInt) -> T? {
    do { return try expression() } catch {
        XCTFail("threw \(error)", file: file, line: line)
        return nil
    }
}

/// Thrown by `XCTUnwrap` when the value is nil; the runner reports it as the test's failure.
public struct XCTUnwrapFailure: Error, CustomStringConvertible {
    public let description: String
}

public func XCTUnwrap<T>(_ expression: @autoclosure () throws -> T?, _ message: @autoclosure () -> String = "",
                         file: StaticString = #filePath, line: UInt = #line) throws -> T {
    guard let value = try expression() else {
        let note = message()
        throw XCTUnwrapFailure(description: "\(file):\(line): XCTUnwrap found nil" + (note.isEmpty ? "" : " - " + note))
    }
    return value
}

public func XCTAssertTrue(_ expression: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "",
                          file: StaticString = #filePath, line: UInt = #line) {
    guard let value = evaluated(expression, file, line) else { return }
    check(value, "XCTAssertTrue failed", message, file, line)
}

public func XCTAssertNil<T>(_ expression: @autoclosure () throws -> T?, _ message: @autoclosure () -> String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    guard let value = evaluated(expression, file, line) else { return }
    check(value == nil, "XCTAssertNil failed: \(value.map { "\($0)" } ?? "")", message, file, line)
}

public func XCTAssertFalse(_ expression: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    guard let value = evaluated(expression, file, line) else { return }
    check(!value, "XCTAssertFalse failed", message, file, line)
}

public func XCTAssertEqual<T: Equatable>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T,
                                         _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(a == b, "XCTAssertEqual failed: (\(a)) is not equal to (\(b))", message, file, line)
}

public func XCTAssertNotEqual<T: Equatable>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T,
                                            _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(a != b, "XCTAssertNotEqual failed: (\(a)) is equal to (\(b))", message, file, line)
}

public func XCTAssertEqual<T: FloatingPoint>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T, accuracy: T,
                                             _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(abs(a - b) <= accuracy, "XCTAssertEqual failed: (\(a)) is not equal to (\(b)) +/- (\(accuracy))", message, file, line)
}

public func XCTAssertGreaterThan<T: Comparable>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T,
                                                _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(a > b, "XCTAssertGreaterThan failed: (\(a)) is not greater than (\(b))", message, file, line)
}

public func XCTAssertGreaterThanOrEqual<T: Comparable>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T,
                                                       _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(a >= b, "XCTAssertGreaterThanOrEqual failed: (\(a)) is less than (\(b))", message, file, line)
}

public func XCTAssertLessThanOrEqual<T: Comparable>(_ first: @autoclosure () throws -> T, _ second: @autoclosure () throws -> T,
                                                    _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let a = evaluated(first, file, line), let b = evaluated(second, file, line) else { return }
    check(a <= b, "XCTAssertLessThanOrEqual failed: (\(a)) is greater than (\(b))", message, file, line)
}

public func XCTAssertThrowsError<T>(_ expression: @autoclosure () throws -> T, _ message: @autoclosure () -> String = "",
                                    file: StaticString = #filePath, line: UInt = #line, _ errorHandler: (Error) -> Void = { _ in }) {
    do {
        _ = try expression()
        check(false, "XCTAssertThrowsError failed: did not throw an error", message, file, line)
    } catch {
        errorHandler(error)
    }
}
