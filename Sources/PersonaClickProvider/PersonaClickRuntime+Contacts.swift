import CampaignDeploy
import CampaignEngine
import Foundation
import JSON
import PersonaClickClient

/// Contacts and callbacks: one call per member, concurrently, each member's failure its own.
extension PersonaClickRuntime {
    /// What became of one member.
    enum MemberResult: Sendable {
        case done
        case failed(PersonaClickError)
        /// May have acted, and must not be repeated blindly (a `hard_bounced` callback).
        case unknown(PersonaClickError)
    }

    /// One call (or two) per member of `request`, at most the client's concurrency at once.
    func deliver(_ request: ProviderRequest) async -> StepOutcome {
        guard let (kind, members) = request.recipients.first(where: { !$0.value.isEmpty }) else { return .done(id: nil, facts: []) }
        let checkFirst = Set(request.body[PersonaClickBinding.checkFirst]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let client = self.client
        let workers = max(1, min(client.configuration.call.concurrency, members.count))
        let results = await withTaskGroup(of: [(Int, MemberResult)].self) { group in
            let next = Counter()
            for _ in 0..<workers {
                group.addTask {
                    var done: [(Int, MemberResult)] = []
                    while let index = await next.take(below: members.count) {
                        done.append((index, await Self.one(members[index], kind: kind, checkFirst: checkFirst.contains(members[index]), client: client)))
                    }
                    return done
                }
            }
            var all: [(Int, MemberResult)] = []
            for await part in group { all += part }
            return all.sorted { $0.0 < $1.0 }
        }
        var failures: [(Int, PersonaClickError)] = []
        var unknown: [(Int, PersonaClickError)] = []
        for (index, result) in results {
            switch result {
            case .done: break
            case .failed(let error): failures.append((index, error))
            case .unknown(let error): unknown.append((index, error))
            }
        }
        var doubt: UnknownMembers?
        if let first = unknown.first {
            // Calls that may have acted stay in doubt, alone, until reconciled; what certainly took effect is recorded
            // (never sent again) and what was refused is reported.
            let who = unknown.prefix(3).map { Self.shown(members[$0.0]) }.joined(separator: ", ") + (unknown.count > 3 ? ", …" : "")
            let calls = (kind == PersonaClickBinding.permanent ? "irreversible call" : "call") + (unknown.count == 1 ? "" : "s")
            doubt = UnknownMembers(
                members: [kind: unknown.map { members[$0.0] }],
                failure: ProviderFailure(code: first.1.code, message: "\(unknown.count) \(calls) may or may not have acted (\(who)): \(first.1.description)",
                                         hint: "run `campaign reconcile`: it checks each email at the source"))
        }
        if failures.isEmpty && doubt == nil { return .done(id: nil, facts: []) }
        // Every member refused the same way: the run's problem (credentials, settings), not the contacts'.
        if failures.count == members.count, let first = failures.first?.1, [.refused, .configuration].contains(first.kind),
            failures.allSatisfy({ $0.1.kind == first.kind && $0.1.message == first.message }) {
            return .failed(Self.failure(first), neverSent: true)
        }
        let settled = Set(failures.map(\.0) + unknown.map(\.0))
        let succeeded = members.indices.filter { !settled.contains($0) }.map { members[$0] }
        return .partial(
            succeeded: succeeded.isEmpty ? [:] : [kind: succeeded],
            failures: failures.map { MemberFailure(kind: kind, member: Self.shown(members[$0.0]), failure: Self.failure($0.1)) },
            unknown: doubt)
    }

    /// A member as a person reads it: the contact (`ana@example.com`), or the email and event of a callback.
    static func shown(_ member: String) -> String {
        if let decoded = PersonaClickMember(member) { return decoded.value }
        return member
    }

    /// One member's calls.
    static func one(_ member: String, kind: String, checkFirst: Bool, client: PersonaClickClient) async -> MemberResult {
        do {
            if kind == PersonaClickBinding.contact {
                guard let contact = PersonaClickMember(member) else { return .failed(PersonaClickError(.configuration, "not a contact: \(member)")) }
                if checkFirst, contact.identity == "email" || contact.identity == "phone",
                    let found = try? await client.check(identity: contact.identity, value: contact.value), found.exists,
                    contact.sentFlags.allSatisfy({ found.flags[$0.0] == $0.1 }), !contact.confirm || found.emailConfirmed {
                    // The batch was in doubt and this contact already has its flags: not sent twice.
                    return .done
                }
                let flags = contact.sentFlags
                if !flags.isEmpty { try await client.manage(identity: contact.identity, value: contact.value, flags: flags) }
                if contact.confirm { try await client.confirmEmail(contact.value) }
                return .done
            }
            let (email, event) = PersonaClickBinding.split(member)
            try await client.callback(email: email, event: event)
            return .done
        } catch {
            return error.kind == .outcomeUnknown ? .unknown(error) : .failed(error)
        }
    }
}

/// Hands out indices 0..<n once each to the workers of a delivery.
actor Counter {
    private var value = 0
    func take(below limit: Int) -> Int? {
        guard value < limit else { return nil }
        defer { value += 1 }
        return value
    }
}
