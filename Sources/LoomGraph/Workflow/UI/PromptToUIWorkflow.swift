extension UIWorkflowConverter {
    /// A UI workflow (schema 0.4) for an API prompt, laid out in columns by depth, so a prompt written by hand
    /// or by a script opens in the web UI. Widget values are stored positionally as the UI expects.
    public func uiWorkflow(from prompt: Prompt) -> JSONValue {
        let numericIDs = Dictionary(uniqueKeysWithValues: assignNumericIDs(prompt).map { ($0.0, $0.1) })
        var links: [JSONValue] = []
        var outputLinks: [String: [Int: [Int]]] = [:]
        var inputLinks: [String: [String: Int]] = [:]
        for node in prompt.nodes {
            for (name, link) in node.links where prompt[link.node] != nil {
                let id = links.count + 1
                let type = registry.schema(for: prompt[link.node]!.classType)?.outputs[safe: link.output]?.type ?? "*"
                links.append([
                    .int(id), .int(numericIDs[link.node]!), .int(link.output), .int(numericIDs[node.id]!),
                    .int(0), .string(type),
                ])
                outputLinks[link.node, default: [:]][link.output, default: []].append(id)
                inputLinks[node.id, default: [:]][name] = id
            }
        }
        let (positions, groups) = layOut(prompt)
        var nodes: [JSONValue] = []
        for (order, node) in prompt.nodes.enumerated() {
            let schema = registry.schema(for: node.classType)
            var inputs: [JSONValue] = []
            for spec in schema?.inputs ?? [] where spec.section != .hidden {
                let linkID = inputLinks[node.id]?[spec.name]
                let isSocket = !spec.kind.isWidget || spec.forceInput
                guard isSocket || linkID != nil else { continue }
                var entry: JSONObject = ["name": .string(spec.name), "type": .string(spec.typeName)]
                if !isSocket { entry["widget"] = ["name": .string(spec.name)] }
                entry["link"] = linkID.map(JSONValue.int) ?? .null
                inputs.append(.object(entry))
            }
            // Links into inputs the schema does not declare still need a slot.
            for (name, id) in (inputLinks[node.id] ?? [:]).sorted(by: { $0.key < $1.key })
            where schema?.input(named: name) == nil {
                inputs.append(["name": .string(name), "type": "*", "link": .int(id)])
            }
            let outputs: [JSONValue] = (schema?.outputs ?? []).enumerated().map { index, output in
                [
                    "name": .string(output.name), "type": .string(output.type),
                    "links": .array((outputLinks[node.id]?[index] ?? []).map(JSONValue.int)), "slot_index": .int(index),
                ]
            }
            var entry: JSONObject = [
                "id": .int(numericIDs[node.id]!), "type": .string(node.classType),
                "pos": [.int(positions[node.id]!.x), .int(positions[node.id]!.y)],
                "size": [315, .int(46 + 24 * max(inputs.count, outputs.count, 1) + 24 * (schema?.widgetInputs.count ?? 0))],
                "flags": [:], "order": .int(order), "mode": 0, "inputs": .array(inputs), "outputs": .array(outputs),
                "properties": ["Node name for S&R": .string(node.classType)],
                "widgets_values": .array(schema.map { storedWidgetValues(of: node, schema: $0) } ?? []),
            ]
            if let title = node.title, title != schema?.displayName { entry["title"] = .string(title) }
            nodes.append(.object(entry))
        }
        // Target slots are the index of the input within the node's slot list.
        for (index, link) in links.enumerated() {
            guard case .array(var items) = link, let target = items[3].intValue, let linkID = items[0].intValue,
                let node = nodes.first(where: { $0["id"]?.intValue == target }),
                let slot = node["inputs"]?.arrayValue?.firstIndex(where: { $0["link"]?.intValue == linkID })
            else { continue }
            items[4] = .int(slot)
            links[index] = .array(items)
        }
        return [
            "last_node_id": .int(numericIDs.values.max() ?? 0), "last_link_id": .int(links.count),
            "nodes": .array(nodes), "links": .array(links), "groups": .array(groups), "config": [:],
            "extra": ["ds": ["scale": 1, "offset": [0, 0]]], "version": 0.4,
        ]
    }

    /// `widgets_values` for a node: its widget inputs in order, with the values the UI stores beside them.
    /// Columns by depth, so links run left to right; ungrouped nodes first, then a horizontal band per group (in
    /// order of first appearance) with a box around it, so groups never overlap.
    private func layOut(_ prompt: Prompt) -> (positions: [String: (x: Int, y: Int)], groups: [JSONValue]) {
        let columnWidth = 380, rowHeight = 320, nodeWidth = 315
        let depth = depths(prompt)
        var bands: [String?] = []
        for node in prompt.nodes where !bands.contains(node.group) { bands.append(node.group) }
        var positions: [String: (x: Int, y: Int)] = [:]
        var groups: [JSONValue] = []
        var top = 60
        for band in bands {
            if band != nil { top += 50 }  // room for the group's title bar
            var rowInColumn: [Int: Int] = [:]
            for node in prompt.nodes where node.group == band {
                let column = depth[node.id] ?? 0
                let row = rowInColumn[column, default: 0]
                rowInColumn[column] = row + 1
                positions[node.id] = (60 + column * columnWidth, top + row * rowHeight)
            }
            let rows = rowInColumn.values.max() ?? 1
            if let band, let first = rowInColumn.keys.min(), let last = rowInColumn.keys.max() {
                groups.append([
                    "id": .int(groups.count + 1), "title": .string(band),
                    "bounding": [
                        .int(40 + first * columnWidth), .int(top - 50),
                        .int((last - first) * columnWidth + nodeWidth + 40), .int(rows * rowHeight + 40),
                    ],
                    "color": "#3f789e", "font_size": 24, "flags": [:],
                ])
            }
            top += rows * rowHeight + 60
        }
        return (positions, groups)
    }

    func storedWidgetValues(of node: PromptNode, schema: NodeSchema) -> [JSONValue] {
        var values: [JSONValue] = []
        var uploadPending = schema.inputs.contains { spec in
            if case .combo(let options) = spec.kind, options.uploadsImage { true } else { false }
        }
        for spec in schema.widgetInputs {
            if uploadPending, spec.section != .required {
                values.append("image")
                uploadPending = false
            }
            let value: JSONValue
            switch node[input: spec.name] {
            case .literal(let literal)?: value = literal
            default: value = spec.kind.defaultValue ?? .null
            }
            values.append(value)
            switch extraStoredValues(after: spec) {
            case 1: values.append("fixed")
            case 2: values += ["fixed", ""]
            default: break
            }
        }
        if uploadPending { values.append("image") }
        return values
    }

    /// The UI needs integer ids; numeric prompt ids are kept, others get the next free numbers.
    private func assignNumericIDs(_ prompt: Prompt) -> [(String, Int)] {
        var used = Set(prompt.ids.compactMap { Int($0) })
        var next = (used.max() ?? 0) + 1
        return prompt.ids.map { id in
            if let number = Int(id), number > 0 { return (id, number) }
            while used.contains(next) { next += 1 }
            used.insert(next)
            return (id, next)
        }
    }

    /// Longest distance from a source node, computed in dependency order without recursion.
    private func depths(_ prompt: Prompt) -> [String: Int] {
        var depth: [String: Int] = [:]
        var remaining = prompt.nodes
        var progress = true
        while !remaining.isEmpty && progress {
            progress = false
            remaining.removeAll { node in
                let sources = node.links.map(\.link.node).filter { prompt[$0] != nil }
                guard sources.allSatisfy({ depth[$0] != nil }) else { return false }
                depth[node.id] = (sources.compactMap { depth[$0] }.max() ?? -1) + 1
                progress = true
                return true
            }
        }
        return depth
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
