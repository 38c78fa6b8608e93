extension NodeSchema {
    /// This node's entry in ComfyUI's `GET /object_info`, key for key, so the web UI and API clients read it unchanged.
    public func objectInfo(files catalog: (any FileCatalog)?) -> JSONValue {
        var input = JSONObject()
        var order = JSONObject()
        for section in InputSection.allCases {
            let specs = inputs.filter { $0.section == section }
            guard !specs.isEmpty || section == .required else { continue }
            input[section.rawValue] = .object(JSONObject(specs.map { ($0.name, $0.objectInfo(files: catalog)) }))
            order[section.rawValue] = .array(specs.map { .string($0.name) })
        }
        var info: JSONObject = [
            "input": .object(input),
            "input_order": .object(order),
            "is_input_list": .bool(takesInputsAsLists),
            "output": .array(outputs.map { .string($0.type) }),
            "output_is_list": .array(outputs.map { .bool($0.isList) }),
            "output_name": .array(outputs.map { .string($0.name) }),
            "name": .string(name),
            "display_name": .string(displayName),
            "description": .string(description),
            "python_module": .string(pythonModule),
            "category": .string(category),
            "output_node": .bool(isOutputNode),
            "has_intermediate_output": .bool(false),
        ]
        if outputs.contains(where: { $0.tooltip != nil }) {
            info["output_tooltips"] = .array(outputs.map { $0.tooltip.map(JSONValue.string) ?? .null })
        }
        if isDeprecated { info["deprecated"] = .bool(true) }
        if isExperimental { info["experimental"] = .bool(true) }
        info["search_aliases"] = .array([])
        return .object(info)
    }
}

extension InputSpec {
    /// `[TYPE, {options}]`; a combo's first element is its list of choices, as classic ComfyUI nodes publish it.
    public func objectInfo(files catalog: (any FileCatalog)?) -> JSONValue {
        var options = JSONObject()
        let type: JSONValue
        switch kind {
        case .int(let o):
            type = "INT"
            options["default"] = .int(o.defaultValue)
            if let min = o.min { options["min"] = min.json }
            if let max = o.max { options["max"] = max.json }
            options["step"] = .int(o.step)
            if controlAfterGenerate { options["control_after_generate"] = .bool(true) }
        case .float(let o):
            type = "FLOAT"
            options["default"] = .double(o.defaultValue)
            if let min = o.min { options["min"] = .double(min) }
            if let max = o.max { options["max"] = .double(max) }
            options["step"] = .double(o.step)
            if let round = o.round { options["round"] = .double(round) }
        case .string(let o):
            type = "STRING"
            options["default"] = .string(o.defaultValue)
            if o.multiline { options["multiline"] = .bool(true) }
        case .boolean(let value):
            type = "BOOLEAN"
            options["default"] = .bool(value)
        case .combo(let o):
            type = .array(o.choices.choices(in: catalog).map(JSONValue.string))
            if let value = o.explicitDefault { options["default"] = .string(value) }
            if o.uploadsImage { options["image_upload"] = .bool(true) }
        case .link(let name):
            type = .string(name)
        case .hidden(let value):
            return .string(value.rawValue)
        }
        if isLazy { options["lazy"] = .bool(true) }
        if forceInput { options["forceInput"] = .bool(true) }
        if let tooltip { options["tooltip"] = .string(tooltip) }
        return options.isEmpty ? .array([type]) : .array([type, .object(options)])
    }
}
