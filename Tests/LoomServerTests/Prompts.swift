import Foundation
import Loom

/// Prompts the tests submit, in API format.
enum Prompts {
    /// PrimitiveString → StringConcatenate → PreviewAny: shows "<a>, <b>".
    static func concatenate(_ a: String, _ b: String) -> JSONValue {
        [
            "1": ["class_type": "PrimitiveString", "inputs": ["value": .string(a)]],
            "2": [
                "class_type": "StringConcatenate",
                "inputs": ["string_a": ["1", 0], "string_b": .string(b), "delimiter": ", "],
            ],
            "3": ["class_type": "PreviewAny", "inputs": ["source": ["2", 0]]],
        ]
    }

    /// One output node that waits for `gate`.
    static func gated(_ gate: String) -> JSONValue {
        ["1": ["class_type": "TestGate", "inputs": ["gate": .string(gate)]]]
    }

    /// A string fed into a node that fails.
    static var failing: JSONValue {
        [
            "1": ["class_type": "PrimitiveString", "inputs": ["value": "x"]],
            "2": ["class_type": "TestFail", "inputs": ["value": ["1", 0]]],
        ]
    }

    static func body(_ prompt: JSONValue, clientID: String? = nil, extra: JSONObject = [:]) -> JSONValue {
        var body: JSONObject = ["prompt": prompt]
        if let clientID { body["client_id"] = .string(clientID) }
        for (key, value) in extra { body[key] = value }
        return .object(body)
    }
}
