import CampaignEngine

/// The deliveries of a kind whose batches overlap their records (``KindRules/overlapsBatches``): batch k+1 leaves
/// while batch k's outcome is being written, so that write is no longer between two requests.
///
///     write  intent {1, 2}
///     send   batch 1 → answer
///     send   batch 2 → answer   ‖  write  1 done, intent {2, 3}
///            (the write is waited for)
///     send   batch 3 → answer   ‖  write  2 done, intent {3, 4}
///     …
///     write  n done
///
/// What stays true, as without overlap:
/// - A batch leaves only once an intent naming it is durable: batch k+1 is named by the intent {k, k+1}, written
///   before batch k left; the write naming k+2 is waited for before k+2 leaves. So at most one write is in flight.
/// - A batch leaves only after the one before it was answered and that answer lets the action go on: a failure, an
///   unknown outcome or a stop asked for is written before anything else, and ends the action.
/// - A crash leaves on disk the last intent written: up to two batches of unknown outcome (the one in flight and the
///   next), which `reconcile` and `state resolve` settle as one.
extension Applier {
    /// Delivers `requests` (two or more) of `action`; nil when every one was delivered, else why the action ended.
    func deliverOverlapped(
        _ action: PlanAction, requests: [ProviderRequest], runtime: any ProviderRuntime, facts: RecordFacts?,
        memberFailures: inout [(key: String, failure: MemberFailure)], memory: inout [Fact]
    ) async throws(DeployError) -> Outcome? {
        guard let first = requests.first else { return nil }
        let key = action.key
        let journal = self.journal
        if isCancelled() { return .interrupted }
        let started = StateJournal.timestamp()
        try await journal.update(key, delivered: [:]) {
            $0 = ApplyMachine.begin(.deliver(first), record: $0, facts: facts, at: started, announcing: requests.dropFirst().first)
        }
        Failpoint.hit(.afterIntent)
        // What the provider is given: the record without its delivered lists (a million recipients are not copied per
        // batch), kept in step with what is written.
        var light = await journal.state.campaigns[key].map(Self.withoutDelivered)
        // The previous batch's outcome (and the intent naming the batch after next), being written; nil when written.
        var writing: Task<DeployError?, Never>?
        // Whether that batch took effect for all its members (not in part).
        var previousWhole = true
        var delivered = 0
        for (index, request) in requests.enumerated() {
            let step = ApplyStep.deliver(request)
            var given = light
            if !memory.isEmpty, let facts = given?.facts { given?.facts = facts.merging(memory) }
            let (outcome, learned) = await runtime.perform(step, record: given).separatingInternalFacts()
            memory = memory.merging(learned)
            Failpoint.hit(.afterSend)
            var added: [String: [String]] = [:]
            switch outcome {
            case .done:
                if !request.removes { added = request.recipients }
            case .partial(let succeeded, let failures, _, _):
                if !request.removes { added = succeeded }
                memberFailures += failures.map { (key, $0) }
            case .failed, .unknown:
                break
            }
            if let previous = writing {
                writing = nil
                if let failure = await previous.value {
                    // Numbered as the state's intent numbers them.
                    let numbers = (requests[index - 1].batch ?? index, request.batch ?? index + 1, requests.dropFirst(index + 1).first.map { $0.batch ?? index + 2 })
                    return .stateFailed(Self.unwritten(failure, key: key, batches: numbers, of: requests.count, previousWhole: previousWhole, outcome: outcome))
                }
            }
            let now = StateJournal.timestamp()
            // This batch's outcome, as the record takes it: whether the action goes on is ApplyMachine's word.
            let local = ApplyMachine.finish(step, outcome: outcome, record: light, before: nil, facts: facts, at: now)
            let following = requests.dropFirst(index + 1).first
            if case .proceed = local.next, let following, !isCancelled() {
                let after = requests.dropFirst(index + 2).first
                light = ApplyMachine.begin(.deliver(following), record: local.record.map(Self.withoutDelivered), facts: facts, at: now, announcing: after)
                if case .partial = outcome { previousWhole = false } else { previousWhole = true }
                let written = added
                writing = Task { () async -> DeployError? in
                    do throws(DeployError) {
                        try await journal.update(key, delivered: written) { current in
                            let finished = ApplyMachine.finish(step, outcome: outcome, record: current.take(), before: nil, facts: facts, at: now)
                            Failpoint.hit(.afterResponse)
                            current = ApplyMachine.begin(.deliver(following), record: finished.record, facts: facts, at: now, announcing: after)
                        }
                    } catch {
                        return error
                    }
                    Failpoint.hit(.afterSave)
                    Failpoint.hit(.afterIntent)
                    return nil
                }
                delivered += 1
                events(.request(key: key, done: delivered, total: requests.count))
                continue
            }
            // The last batch, a failure, an unknown outcome or a stop asked for: written before anything else.
            var next = ApplyMachine.Next.proceed
            try await journal.update(key, delivered: added) { current in
                let finished = ApplyMachine.finish(step, outcome: outcome, record: current.take(), before: nil, facts: facts, at: now)
                current = finished.record
                next = finished.next
                Failpoint.hit(.afterResponse)
            }
            Failpoint.hit(.afterSave)
            switch next {
            case .proceed:
                delivered += 1
                events(.request(key: key, done: delivered, total: requests.count))
                // Not the last: a stop was asked for, and the next batch never left.
                if following != nil { return .interrupted }
            case .failed(let failure):
                return .failed("\(failure.code): \(failure.message) (batch \(delivered + 1) of \(requests.count); \(delivered) sent)")
            case .unknown(let failure):
                return .unknown(failure.message)
            }
        }
        return nil
    }

    /// Why the run stopped when the write of batch `batches.previous`'s outcome failed while batch `batches.current`
    /// was out (answered with `outcome`; `batches.after` is the one after it, if any). A failed write may still have
    /// landed (a commit whose answer was lost; a file's journal folded in at the end), so the state names either the
    /// previous and current batches or the current one and the one after; the user is told which answer fits which,
    /// and none when the batches did not take effect whole.
    static func unwritten(
        _ failure: DeployError, key: String, batches: (previous: Int, current: Int, after: Int?), of count: Int, previousWhole: Bool, outcome: StepOutcome
    ) -> String {
        let shown = EngineState.shown(key)
        let (previous, current) = (batches.previous, batches.current)
        let later = batches.after.map { "batches \(current) and \($0)" } ?? "batch \(current) alone"
        var text = "state \(failure.code): \(failure.description); batch \(previous) of \(count) was sent\(previousWhole ? "" : ", in part") and batch \(current) "
            + "\(Self.shown(outcome)), but the state may not hold batch \(previous)'s outcome: it names batches \(previous) and \(current) (its intent at "
            + "batch \(previous)) or \(later) (at batch \(current)) as of unknown outcome; nothing more was sent"
        // The answer that fits each place the intent may be: at the previous batch, then at the current one.
        let answers: (String, String)?
        switch outcome {
        case .done where previousWhole: answers = ("--sent", batches.after == nil ? "--sent" : "--first-sent")
        case .failed(_, neverSent: true) where previousWhole: answers = ("--first-sent", "--not-created")
        default: answers = nil
        }
        if let (atPrevious, atCurrent) = answers {
            text += ". Once the state can be written, `campaign state show \(shown)` says where its intent is: at batch \(previous), settle it with "
                + "`campaign state resolve \(shown) \(atPrevious)`; at batch \(current), with `\(atCurrent)`"
        }
        return text
    }

    /// `record` without its delivered lists: what a provider is given for a step (it needs the id and facts).
    @Sendable static func withoutDelivered(_ record: StateRecord) -> StateRecord {
        var light = record
        light.delivered = [:]
        return light
    }

    /// What became of a batch, in a few words.
    static func shown(_ outcome: StepOutcome) -> String {
        switch outcome {
        case .done: "was sent"
        case .partial: "was sent, in part"
        case .failed(_, neverSent: true): "was refused"
        case .failed, .unknown: "is of unknown outcome"
        }
    }
}
