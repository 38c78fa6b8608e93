import Foundation

/// ComfyUI's socket compatibility rule: equal types match, `*` matches anything, and
/// comma-separated unions such as `IMAGE,FLOAT` match when the sets share a member.
public func socketTypes(_ received: String, match expected: String) -> Bool {
    if received == "*" || expected == "*" || received == expected { return true }
    let receivedSet = Set(received.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    let expectedSet = Set(expected.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    return !receivedSet.isDisjoint(with: expectedSet)
}
