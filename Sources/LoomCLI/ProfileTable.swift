import LoomVulkan

/// The `limit` shader variants that took the most device time while profiling, one line each, for `--profile`.
func profileTable(_ entries: [DispatchProfile.Entry], limit: Int = 8) -> String {
    let total = entries.reduce(0) { $0 + $1.seconds }
    let shown = entries.prefix(limit)
    let width = max(26, (shown.map(\.name.count).max() ?? 0) + 2)
    return shown.map { entry in
        "    " + entry.name.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(format: "%7.3f s  %5.1f %%  %5d calls", entry.seconds, 100 * entry.seconds / max(total, 1e-12), entry.dispatches)
    }.joined(separator: "\n")
}
