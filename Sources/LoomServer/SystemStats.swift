import Foundation
import Loom

/// `GET /system_stats` in ComfyUI's shape. Loom runs on the CPU (Vulkan devices are not reported yet), so the one
/// device is the CPU with system memory, as ComfyUI reports itself under `--cpu`.
enum SystemStats {
    static func current(arguments: [String]) -> JSONValue {
        let total = Int(ProcessInfo.processInfo.physicalMemory)
        let free = availableMemory() ?? total
        #if os(Linux)
            let os = "linux"
        #else
            let os = "darwin"
        #endif
        return [
            "system": [
                "os": .string(os), "ram_total": .int(total), "ram_free": .int(free),
                "comfyui_version": "loom", "python_version": "", "pytorch_version": "", "embedded_python": false,
                "argv": .array(arguments.map(JSONValue.string)),
            ],
            "devices": [
                [
                    "name": "cpu", "type": "cpu", "index": .null, "vram_total": .int(total), "vram_free": .int(free),
                    "torch_vram_total": .int(total), "torch_vram_free": .int(free),
                ]
            ],
        ]
    }

    /// `MemAvailable` from /proc/meminfo, where the system has one.
    private static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kilobytes * 1024
    }
}
