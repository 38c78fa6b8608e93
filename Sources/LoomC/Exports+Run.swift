import CLoom
import Foundation
import Loom

@_cdecl("loom_validate")
public func loom_validate(_ engine: OpaquePointer?, _ workflow: OpaquePointer?) -> loom_status {
    exported { () throws(LoomFailure) in
        let engine = try EngineHandle.table.object(engine).engine
        let document = try WorkflowHandle.table.object(workflow).snapshot
        do throws(PromptValidationError) {
            _ = try engine.validate(document)
        } catch {
            throw LoomFailure(validation: error)
        }
    }
}

@_cdecl("loom_run")
public func loom_run(
    _ engine: OpaquePointer?, _ workflow: OpaquePointer?, _ onEvent: loom_event_callback?,
    _ userData: UnsafeMutableRawPointer?, _ result: UnsafeMutablePointer<OpaquePointer?>?
) -> loom_status {
    exported { () throws(LoomFailure) in
        let result = try outParameter(result, "result")
        try Blocking.checkNotInCallback("loom_run")
        let handle = try EngineHandle.table.object(engine)
        let document = try WorkflowHandle.table.object(workflow).snapshot
        let validated: ValidatedPrompt
        do throws(PromptValidationError) {
            validated = try handle.engine.validate(document)
        } catch {
            throw LoomFailure(validation: error)
        }
        let forwarder = EventForwarder(callback: onEvent, userData: userData)
        let engine = handle.engine
        let (outcome, number) = try handle.exclusiveRun { interruption, number in
            let outcome = Blocking.wait {
                await engine.run(
                    validated, extraData: document.runExtraData, interruption: interruption, events: forwarder.forward)
            }
            return (outcome, number)
        }
        let prompt = QueuedPrompt(
            number: Double(number), id: outcome.promptID, prompt: document.prompt.json, extraData: document.runExtraData,
            outputsToExecute: validated.outputs)
        let entry = HistoryEntry(prompt: prompt, outcome: outcome, messages: forwarder.historyMessages)
        result.pointee = ResultHandle.table.insert(ResultHandle(outcome: outcome, history: entry))
        switch outcome.status {
        case .succeeded:
            return
        case .failed(let failure):
            throw LoomFailure(LOOM_ERROR_EXECUTION, failure.description, json: .object(failure.json))
        case .interrupted(let node):
            throw LoomFailure(LOOM_ERROR_INTERRUPTED, "the run was interrupted" + (node.map { " before node \($0)" } ?? ""))
        }
    }
}
