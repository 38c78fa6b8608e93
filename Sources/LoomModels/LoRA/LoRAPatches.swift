import LoomModelFiles

/// A LoRA file's changes, matched against a model's module names as ComfyUI's `load_lora` matches them:
/// for each module name the file's `alpha`, `dora_scale`, low-rank pair (every spelling ComfyUI reads), LoHa
/// (`hada_w1_a`…) or LoKr (`lokr_w1`…) factors, `diff`,
/// `diff_b`, `w_norm`/`b_norm` and `set_weight`; whatever the file holds besides is listed in `unmatchedKeys`.
/// BFL's control LoRAs (Flux Canny / Depth) are read under the names ComfyUI's `convert_lora` gives them.
public struct LoRAPatches: Sendable {
    /// One change, with the module name it was read under.
    public struct Patch: Sendable {
        public let module: String
        public let target: LoRATarget
        public let change: WeightPatch.Change
        /// DoRA's `dora_scale`, when the module has one.
        public let magnitude: HostTensor?
        /// `reshape_weight`: the shape the weight is zero-padded to first.
        public var paddedShape: [Int]? = nil

        /// The shape of the change as a weight: `[out, in, …]`.
        public var shape: [Int] { WeightPatch.shape(of: change) }
    }

    /// In ComfyUI's order; a later change to the same target replaces an earlier one.
    public let patches: [Patch]
    /// The file's tensors no module name took, in file order: ComfyUI's "lora key not loaded".
    public let unmatchedKeys: [String]

    /// The low-rank spellings ComfyUI reads, as (up, down, mid) suffixes of the module name.
    private static let pairs: [(String, String, String?)] = [
        (".lora_up.weight", ".lora_down.weight", ".lora_mid.weight"),
        ("_lora.up.weight", "_lora.down.weight", nil),
        (".lora_B.weight", ".lora_A.weight", nil),
        (".lora.up.weight", ".lora.down.weight", nil),
        (".lora_B", ".lora_A", nil),
        (".lora_linear_layer.up.weight", ".lora_linear_layer.down.weight", nil),
        (".lora_B.default.weight", ".lora_A.default.weight", nil),
    ]

    /// Adapter forms ComfyUI reads that Loom does not yet apply, by a tensor suffix that marks them.
    private static let unsupportedForms: [(String, String)] = [
        (".hada_t1", "LoHa with Tucker cores"), (".lokr_t2", "LoKr with a Tucker core"), (".oft_blocks", "OFT"),
        (".oft_diag", "BOFT"), (".a1.weight", "GLoRA"),
    ]

    public init(file: ModelFile, keys: LoRAKeyMap) throws(LoRAError) {
        if let (suffix, form) = Self.unsupportedForms.first(where: { form in file.tensors.contains { $0.name.hasSuffix(form.0) } }) {
            throw .unsupportedForm(file: file.path, form: form, example: file.tensors.first { $0.name.hasSuffix(suffix) }!.name)
        }
        let tensors = LoRATensors(file)
        var loaded: Set<String> = []
        var order: [LoRATarget] = []
        var byTarget: [LoRATarget: Patch] = [:]
        func record(_ patch: Patch) {
            if byTarget.updateValue(patch, forKey: patch.target) == nil { order.append(patch.target) }
        }
        func values(_ name: String) -> HostTensor? {
            guard let found = tensors[name] else { return nil }
            loaded.insert(name)
            return found
        }
        func pair(_ module: String, _ first: String, _ second: String) throws(LoRAError) -> (HostTensor, HostTensor) {
            guard let a = values(module + first), let b = values(module + second), a.rank >= 2, b.rank >= 2, a.shape[1] == b.shape[0] else {
                throw .malformedPair(file: file.path, module: module, up: tensors.shape(module + first) ?? [],
                                     down: tensors.shape(module + second) ?? [])
            }
            return (a, b)
        }
        for module in keys.order {
            guard let target = keys.targets[module] else { continue }
            let alpha = values(module + ".alpha")?.values.first
            let magnitude = values(module + ".dora_scale")
            var change: WeightPatch.Change?
            var paddedShape: [Int]?
            for (upSuffix, downSuffix, midSuffix) in Self.pairs where tensors.contains(module + upSuffix) {
                let (up, down) = try pair(module, upSuffix, downSuffix)
                change = .lowRank(up: up, down: down, mid: midSuffix.flatMap { values(module + $0) }, alpha: alpha)
                if let reshape = values(module + ".reshape_weight") {
                    guard let sides = Self.sides(reshape) else {
                        throw .malformedReshape(file: file.path, module: module, values: reshape.values)
                    }
                    paddedShape = sides
                }
                break
            }
            if change == nil, tensors.contains(module + ".hada_w1_a") {
                let (w1a, w1b) = try pair(module, ".hada_w1_a", ".hada_w1_b")
                let (w2a, w2b) = try pair(module, ".hada_w2_a", ".hada_w2_b")
                change = .hadamard(w1a: w1a, w1b: w1b, w2a: w2a, w2b: w2b, alpha: alpha)
            }
            if change == nil, [".lokr_w1", ".lokr_w2", ".lokr_w1_a", ".lokr_w2_a"].contains(where: { tensors.contains(module + $0) }) {
                func factor(_ side: String) throws(LoRAError) -> WeightPatch.KroneckerFactor {
                    if let whole = values(module + side) { return .whole(whole) }
                    let (a, b) = try pair(module, side + "_a", side + "_b")
                    return .product(a, b)
                }
                change = .kronecker(w1: try factor(".lokr_w1"), w2: try factor(".lokr_w2"), alpha: alpha)
            }
            if let change { record(Patch(module: module, target: target, change: change, magnitude: magnitude, paddedShape: paddedShape)) }
            let bias = LoRATarget(String(target.weight.dropLast(".weight".count)) + ".bias", rows: target.rows,
                                  swapsHalves: target.swapsHalves)
            if let norm = values(module + ".w_norm") {
                record(Patch(module: module, target: target, change: .difference(norm), magnitude: nil))
                if let biasNorm = values(module + ".b_norm") { record(Patch(module: module, target: bias, change: .difference(biasNorm), magnitude: nil)) }
            }
            if let difference = values(module + ".diff") {
                record(Patch(module: module, target: target, change: .difference(difference), magnitude: nil))
            }
            if let difference = values(module + ".diff_b") {
                record(Patch(module: module, target: bias, change: .difference(difference), magnitude: nil))
            }
            if let replacement = values(module + ".set_weight") {
                record(Patch(module: module, target: target, change: .replacement(replacement), magnitude: nil))
            }
        }
        patches = order.map { byTarget[$0]! }
        unmatchedKeys = tensors.names.filter { !loaded.contains($0) }
    }

    /// A `reshape_weight` tensor's sides, nil unless they are whole numbers from 1 to 2^20.
    private static func sides(_ tensor: HostTensor) -> [Int]? {
        guard !tensor.values.isEmpty, tensor.values.allSatisfy({ $0 >= 1 && $0 <= 1_048_576 && $0.rounded() == $0 }) else { return nil }
        return tensor.values.map { Int($0) }
    }
}

/// A LoRA file's tensors under the names ComfyUI's `convert_lora` gives them: BFL's control LoRAs (an
/// `img_in` pair and `single_blocks.0.norm.key_norm.scale`) take the `diffusion_model.` prefix, their
/// `lora_B.bias` become `diff_b`, their norm scales `set_weight`, and `img_in` gains a `reshape_weight` to
/// the pair's full size; other files keep their names.
struct LoRATensors {
    let file: ModelFile
    /// In file order, then the made-up ones.
    let names: [String]
    private let stored: [String: String]
    private let madeUp: [String: HostTensor]

    init(_ file: ModelFile) {
        self.file = file
        guard let up = file["img_in.lora_B.weight"], let down = file["img_in.lora_A.weight"], up.shape.count == 2, down.shape.count == 2,
              file["single_blocks.0.norm.key_norm.scale"] != nil else {
            names = file.tensors.map(\.name)
            stored = [:]
            madeUp = [:]
            return
        }
        var stored: [String: String] = [:]
        var names: [String] = []
        for tensor in file.tensors {
            let name = "diffusion_model." + tensor.name.replacingOccurrences(of: ".lora_B.bias", with: ".diff_b")
                .replacingOccurrences(of: "_norm.scale", with: "_norm.scale.set_weight")
            stored[name] = tensor.name
            names.append(name)
        }
        let reshape = "diffusion_model.img_in.reshape_weight"
        self.names = names + [reshape]
        self.stored = stored
        madeUp = [reshape: HostTensor(shape: [2], values: [Float(up.shape[0]), Float(down.shape[1])])]
    }

    func contains(_ name: String) -> Bool { madeUp[name] != nil || storedTensor(name) != nil }

    func shape(_ name: String) -> [Int]? { madeUp[name]?.shape ?? storedTensor(name)?.shape }

    subscript(name: String) -> HostTensor? {
        if let made = madeUp[name] { return made }
        guard let tensor = storedTensor(name) else { return nil }
        return HostTensor(shape: tensor.shape, values: tensor.floats())
    }

    private func storedTensor(_ name: String) -> StoredTensor? {
        stored.isEmpty ? file[name] : stored[name].flatMap { file[$0] }
    }
}

/// A LoRA file Loom cannot apply.
public enum LoRAError: Error, Sendable, CustomStringConvertible {
    case unsupportedForm(file: String, form: String, example: String)
    case malformedPair(file: String, module: String, up: [Int], down: [Int])
    case malformedReshape(file: String, module: String, values: [Float])
    case nothingMatched(file: String)
    case shapeMismatch(file: String, module: String, shape: [Int], weight: String, weightShape: [Int], rows: Range<Int>?)

    public var description: String {
        switch self {
        case .unsupportedForm(let file, let form, let example):
            "\(file) uses \(form) ('\(example)'), which Loom does not apply yet"
        case .malformedPair(let file, let module, let up, let down):
            "\(file): the low-rank pair of '\(module)' does not multiply (up \(up), down \(down)); the file is damaged"
        case .malformedReshape(let file, let module, let values):
            "\(file): the reshape_weight of '\(module)' is \(values), not a shape; the file is damaged"
        case .nothingMatched(let file):
            "\(file) changes none of the model's weights"
        case .shapeMismatch(let file, let module, let shape, let weight, let weightShape, let rows):
            "\(file): '\(module)' has shape \(shape), but the weight it changes, '\(weight)', has shape \(weightShape)"
                + (rows.map { " (it changes rows \($0.lowerBound)..<\($0.upperBound))" } ?? "")
        }
    }
}
