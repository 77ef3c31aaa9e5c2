import CampaignCommands
@testable import CampaignDeploy
@testable import CampaignEngine
import CampaignModel
@testable import CleverTapProvider
import Foundation
import JSON
import Testing

/// What a reviewer sees of a changed campaign: the request last applied and the new one compared field by field
/// (pure parts: the diff, the renderers, the state codec, the CleverTap fields).
@Suite("Plan: field changes")
struct PlanDiffTests {
    let old = [ResourceField("name", "\"A\""), ResourceField("content.title", "\"Spring Sale\""), ResourceField("options.tag_group", "\"g\""),
               ResourceField("schedule", "2027-03-20 09:00 Europe/Berlin")]
    let new = [ResourceField("name", "\"A\""), ResourceField("content.title", "\"Spring Sale: 48 hours early\""),
               ResourceField("schedule", "2027-03-21 09:00 Europe/Berlin"), ResourceField("options.respect_frequency_caps", "false")]

    @Test func changedAddedAndRemovedFieldsInTheProvidersOrder() {
        let diff = FieldDiff.between(old, new)
        #expect(diff == .changed([
            FieldChange(path: "content.title", old: "\"Spring Sale\"", new: "\"Spring Sale: 48 hours early\""),
            FieldChange(path: "schedule", old: "2027-03-20 09:00 Europe/Berlin", new: "2027-03-21 09:00 Europe/Berlin"),
            FieldChange(path: "options.respect_frequency_caps", old: nil, new: "false"),
            FieldChange(path: "options.tag_group", old: "\"g\"", new: nil),
        ]))
        #expect(diff.changes.map(\.mark) == ["~", "~", "+", "-"])
        #expect(FieldDiff.between(old, old) == .changed([]))
        #expect(FieldDiff.between(nil, new) == .notRecorded)
    }

    func plan(_ changes: FieldDiff?, kind: ActionKind = .replace) -> Plan {
        var action = PlanAction(key: "promo", kind: kind, reason: "changed while scheduled for 2027-03-20 09:00 Europe/Berlin: stop 7, create anew", id: "7",
                                requests: kind == .replace ? [ProviderRequest(path: "/1/targets/create.json", body: .object([("name", .string("A"))]))] : [])
        action.changes = changes
        return Plan(actions: [action, PlanAction(key: "other", kind: .noChange, reason: "completed")])
    }

    @Test func textShowsEachChangeIndentedUnderItsActionColouredLikeTerraform() {
        let text = PlanRenderer.text(plan(FieldDiff.between(old, new)), colors: false)
        #expect(text == """
            ± promo: replace [id 7] — changed while scheduled for 2027-03-20 09:00 Europe/Berlin: stop 7, create anew
                ~ content.title: "Spring Sale" → "Spring Sale: 48 hours early"
                ~ schedule: 2027-03-20 09:00 Europe/Berlin → 2027-03-21 09:00 Europe/Berlin
                + options.respect_frequency_caps: false
                - options.tag_group: "g"
            = other: no-change — completed
            Plan: 0 to create, 0 to send, 0 to stop, 1 to replace, 1 unchanged, 0 refused

            """)
        let colored = PlanRenderer.text(plan(FieldDiff.between(old, new)), colors: true)
        #expect(colored.contains("\n    \u{1B}[33m~ content.title: \"Spring Sale\" → \"Spring Sale: 48 hours early\"\u{1B}[0m\n"))
        #expect(colored.contains("\n    \u{1B}[32m+ options.respect_frequency_caps: false\u{1B}[0m\n"))
        #expect(colored.contains("\n    \u{1B}[31m- options.tag_group: \"g\"\u{1B}[0m\n"))
        // Nothing to compare with: said, not guessed. Nothing reviewable differs: said too.
        #expect(PlanRenderer.text(plan(.notRecorded), colors: false).contains("create anew\n    (fields not recorded before this version: the request last applied cannot be compared field by field)\n= other"))
        #expect(PlanRenderer.text(plan(.changed([])), colors: false).contains("create anew\n    (no reviewable field differs: the request changed in a part not shown)\n"))
        // No changes: no extra lines.
        #expect(PlanRenderer.text(plan(nil), colors: false).split(separator: "\n").count == 3)
        // A display value cannot break the line or send an escape sequence to the terminal.
        let hostile = plan(.changed([FieldChange(path: "a\nb", old: "x\u{1B}[2J", new: "y\rz")]))
        #expect(PlanRenderer.text(hostile, colors: false).contains("\n    ~ a?b: x?[2J → y?z\n"))
    }

    @Test func markdownShowsADiffBlockInTheDetails() {
        let markdown = PlanRenderer.markdown(plan(FieldDiff.between(old, new)))
        #expect(markdown.contains("<details><summary><code>promo</code>: 4 fields changed, 1 request</summary>\n\n```diff\n"
            + "- content.title: \"Spring Sale\"\n+ content.title: \"Spring Sale: 48 hours early\"\n"
            + "- schedule: 2027-03-20 09:00 Europe/Berlin\n+ schedule: 2027-03-21 09:00 Europe/Berlin\n"
            + "+ options.respect_frequency_caps: false\n- options.tag_group: \"g\"\n```\n\n`POST /1/targets/create.json`"), "\(markdown)")
        // A refusal has no requests, but its changes are shown.
        let refused = PlanRenderer.markdown(plan(FieldDiff.between(old, new), kind: .refused))
        #expect(refused.contains("<details><summary><code>promo</code>: 4 fields changed</summary>"))
        let unrecorded = PlanRenderer.markdown(plan(.notRecorded))
        #expect(unrecorded.contains("<code>promo</code>: fields last applied not recorded, 1 request</summary>\n\n_fields not recorded before this version"))
        // Backticks in a value cannot close the block early.
        let fenced = PlanRenderer.markdown(plan(.changed([FieldChange(path: "content.title", old: "\"a\"", new: "\"``` b\"")])))
        #expect(fenced.contains("````diff\n- content.title: \"a\"\n+ content.title: \"``` b\"\n````\n"))
        #expect(!PlanRenderer.markdown(plan(nil, kind: .refused)).contains("<details>"))
    }

    @Test func jsonListsTheChangesPerAction() throws {
        let json = try JSONParser().parse(JSONWriter().string(PlanRenderer.json(plan(FieldDiff.between(old, new)))))
        #expect(json["format_version"]?.intValue == PlanRenderer.jsonFormatVersion)
        let promo = try #require(json["actions"]?.arrayValue?.first)
        #expect(promo["changes_recorded"]?.boolValue == true)
        let changes = try #require(promo["changes"]?.arrayValue)
        #expect(changes.count == 4)
        #expect(changes[0]["path"]?.stringValue == "content.title")
        #expect(changes[0]["old"]?.stringValue == "\"Spring Sale\"" && changes[0]["new"]?.stringValue == "\"Spring Sale: 48 hours early\"")
        #expect(changes[2]["old"] == .null && changes[3]["new"] == .null)
        #expect(json["actions"]?.arrayValue?.last?["changes"] == nil)
        let unrecorded = PlanRenderer.json(plan(.notRecorded))["actions"]?.arrayValue?.first
        #expect(unrecorded?["changes_recorded"]?.boolValue == false && unrecorded?["changes"]?.arrayValue?.isEmpty == true)
    }

    // MARK: state

    func record(fields: [ResourceField]?) -> StateRecord {
        var record = StateRecord(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", hash: "h1", status: .scheduled, at: "2026-01-01T00:00:00Z")
        record.id = "7"
        record.startsAt = Date(timeIntervalSince1970: 1_900_000_000)
        record.fields = fields
        return record
    }

    @Test func fieldsRoundTripThroughTheStateFileAndTheJournal() throws {
        var state = EngineState()
        state.campaigns["a"] = record(fields: old)
        state.campaigns["b"] = record(fields: nil)
        state.campaigns["b"]?.id = "8"
        state.campaigns["c"] = record(fields: [])
        state.campaigns["c"]?.id = "9"
        let text = JSONWriter().string(state.json)
        let back = try EngineState(jsonText: Array(text.utf8))
        #expect(back.campaigns["a"]?.fields == old)
        #expect(back.campaigns["b"]?.fields == nil)
        #expect(back.campaigns["c"]?.fields == [])
        #expect(JSONWriter().string(back.json) == text)
        #expect(text.contains("\"fields\": {\n        \"name\": \"\\\"A\\\"\",\n        \"content.title\""))
        // A journal line carries them (the record codec is the one place records are written and read).
        var replayed = state
        var changed = record(fields: new)
        changed.hash = "h2"
        let line = JournalLine(lineage: state.lineage, serial: state.serial + 1, key: "a", record: changed)
        try replayed.replay(journal: line.bytes)
        #expect(replayed.campaigns["a"]?.fields == new && replayed.campaigns["a"]?.hash == "h2")
        // A record read back from its own text (a database row) is equal to it, however its fields are kept.
        let row = try StateRecord(jsonText: JSONWriter(indent: nil).bytes(changed.json(includingDelivered: false)), key: "a")
        #expect(row.fields == new && row == changed && changed == row)
        var other = row
        other.fields = old
        #expect(other != row)
        #expect(try StateRecord(jsonText: JSONWriter(indent: 4).bytes(changed.json), key: "a") == row)
    }

    @Test func fieldsSurviveTheStateFileItsJournalAndTheFold() async throws {
        let folder = try TestSupport.temporaryFolder()
        let store = StateStore(path: folder + "/state.json")
        var state = EngineState()
        state.campaigns["a"] = record(fields: old)
        _ = try store.save(&state)
        #expect(try store.load().campaigns["a"]?.fields == old)
        // A change appended to the journal (as a run that died would leave it) is read back with its fields…
        let journal = StateJournal(state: try store.load(), store: store)
        try await journal.update("a", delivered: nil) { record in
            record?.hash = "h2"
            record?.fields = new
        }
        #expect(FileManager.default.fileExists(atPath: folder + "/state.json.journal"))
        #expect(try store.load().campaigns["a"]?.fields == new)
        // …and folded into the state file; an untouched record keeps its fields as they were read.
        var b = record(fields: nil)
        b.id = "8"
        try await journal.update("b") { [b] in $0 = b }
        try await journal.finish()
        let folded = try store.load()
        #expect(folded.campaigns["a"]?.fields == new && folded.campaigns["a"]?.hash == "h2")
        #expect(folded.campaigns["b"] != nil && folded.campaigns["b"]?.fields == nil)
        try await StateJournal(state: folded, store: store).updateAll { $0.campaigns["b"]?.name = "B" }
        #expect(try store.load().campaigns["a"]?.fields == new)
    }

    @Test func malformedFieldsCountAsNotRecorded() throws {
        func read(_ fields: String) throws -> [ResourceField]? {
            let text = #"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled", "fields": \#(fields)}}}"#
            return try EngineState(jsonText: Array(text.utf8)).campaigns["a"]?.fields
        }
        #expect(try read(#"{"content.title": "\"T\"", "schedule": "now"}"#) == [ResourceField("content.title", "\"T\""), ResourceField("schedule", "now")])
        #expect(try read(#"[1, 2]"#) == nil)
        #expect(try read(#"{"content.title": 5}"#) == nil)
        #expect(try read(#"{"a": "1", "a": "2"}"#) == nil)
        #expect(try read("{}") == [])
        #expect(try read(#"{"a": {"b": ["c", {"d": 1}]}, "e": "f"}"#) == nil)
        #expect(try read(#" { "a" : "x\"\\\/\b\f\n\r\t\u00e9" , "b":"" } "#) == [ResourceField("a", "x\"\\/\u{8}\u{C}\n\r\té"), ResourceField("b", "")])
        // Kept as text, but its structure is checked as it is read: what is not JSON is an error, where it is.
        for bad in [#"{"a": "x\q"}"#, #"{"a": "\u12"}"#, #"{"a": "x}"#, "{\"a\": \"x\u{1}\"}", #"{"a" "b"}"#, #"{"a": "b",}"#, #"{"a": "b" "c": "d"}"#, #"{"a": "b""#] {
            #expect(throws: StateFileError.self, "\(bad)") { try read(bad) }
        }
        // Members after it are read as usual (here: the type and status).
        let first = #"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "fields": {"x": "\"y\""}, "type": "send", "status": "sent"}}}"#
        let record = try #require(try EngineState(jsonText: Array(first.utf8)).campaigns["a"])
        #expect(record.kind == "send" && record.status == .sent && record.fields == [ResourceField("x", "\"y\"")])
        // Invalid UTF-8 in a kept value is found when the fields are decoded: not recorded, not a broken state.
        var bytes = Array(#"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled", "fields": {"x": "?"}}}}"#.utf8)
        bytes[bytes.lastIndex(of: UInt8(ascii: "?"))!] = 0xFF
        #expect(try EngineState(jsonText: bytes).campaigns["a"]?.fields == nil)
        // A record of the previous version (no `fields`) reads as not recorded.
        let older = #"{"format_version": 2, "lineage": "l", "serial": 1, "campaigns": {"a": {"provider": "clevertap", "type": "scheduled", "status": "scheduled"}}}"#
        #expect(try EngineState(jsonText: Array(older.utf8)).campaigns["a"]?.fields == nil)
    }

    @Test func applyRecordsTheFieldsOfTheRequestThatTookEffect() throws {
        let facts = RecordFacts(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", hash: "h2", fields: new)
        let create = ApplyStep.create(ProviderRequest(path: "/1/targets/create.json", body: .object([])))
        // A replace: the stopped record keeps the old fields until the new create took effect.
        var stopped = record(fields: old)
        stopped.status = .stopped
        let begun = try #require(ApplyMachine.begin(create, record: stopped, facts: facts, at: "t"))
        let done = ApplyMachine.finish(create, outcome: .done(id: "8", facts: []), record: begun, before: stopped, facts: facts, at: "t")
        #expect(done.record?.fields == new && done.record?.hash == "h2")
        let refused = ApplyMachine.finish(create, outcome: .failed(ProviderFailure(code: "X", message: "no"), neverSent: true), record: begun, before: stopped, facts: facts, at: "t")
        #expect(refused.record?.fields == old && refused.record?.hash == "h1")
        // An update in place records them with its hash; a delivery too.
        let update = ApplyStep.update(ProviderRequest(path: "/update", body: .object([])))
        let updating = try #require(ApplyMachine.begin(update, record: record(fields: old), facts: facts, at: "t"))
        #expect(updating.fields == old)
        #expect(ApplyMachine.finish(update, outcome: .done(id: nil, facts: []), record: updating, before: record(fields: old), facts: facts, at: "t").record?.fields == new)
        let deliver = ApplyStep.deliver(ProviderRequest(path: "/1/send/push.json", body: .object([]), recipients: ["identity": ["u1"]]))
        var sent = record(fields: nil)
        sent.kind = "send"
        sent.status = .sent
        sent.hash = "h2"
        let delivering = try #require(ApplyMachine.begin(deliver, record: sent, facts: facts, at: "t"))
        #expect(ApplyMachine.finish(deliver, outcome: .done(id: nil, facts: []), record: delivering, before: nil, facts: facts, at: "t").record?.fields == new)
    }

    // MARK: planning

    func desired(hash: String, startsAt: Date? = Date(timeIntervalSince1970: 1_900_000_000), fields: [ResourceField]?) -> DesiredResource {
        var make: (@Sendable () -> [ResourceField])?
        if let fields { make = { fields } }
        return DesiredResource(key: "a", name: "A", file: "a.yaml", provider: "clevertap", kind: "scheduled", hash: hash, startsAt: startsAt,
                               schedule: "2030-03-17 18:46 UTC", fields: make, showTime: { "shown \($0.timeIntervalSince1970)" }) { _ in
            [ProviderRequest(path: "/1/targets/create.json", body: .object([]))]
        }
    }

    @Test func thePlannerComparesFieldsOnlyForChangedResourcesAndDecidesAsBefore() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let planner = Planner(now: now, rules: RuleBook([CleverTapRules()]))
        func plan(_ record: StateRecord, _ resource: DesiredResource) -> PlanAction {
            var state = EngineState()
            state.campaigns["a"] = record
            return planner.plan(desired: [resource], state: state, live: [:]).actions[0]
        }
        let replaced = plan(record(fields: old), desired(hash: "h2", fields: new))
        #expect(replaced.kind == .replace && replaced.changes == FieldDiff.between(old, new))
        // The record's time is shown as the provider shows times (the resource's own schedule when it is the same
        // instant).
        #expect(replaced.reason == "changed while scheduled for 2030-03-17 18:46 UTC: stop 7, create anew")
        let moved = plan(record(fields: old), desired(hash: "h2", startsAt: Date(timeIntervalSince1970: 1_900_003_600), fields: new))
        #expect(moved.reason == "changed while scheduled for shown 1900000000.0: stop 7, create anew")
        // Unchanged: nothing compared (and the provider's fields are never made).
        let unchanged = plan(record(fields: old), DesiredResource(key: "a", name: "A", file: "a.yaml", provider: "clevertap", kind: "scheduled", hash: "h1",
                                                                  startsAt: Date(timeIntervalSince1970: 1_900_000_000), schedule: "2030-03-17 18:46 UTC",
                                                                  fields: { Issue.record("fields made for an unchanged resource"); return [] }) { _ in [] })
        #expect(unchanged.kind == .noChange && unchanged.changes == nil)
        #expect(unchanged.reason == "scheduled for 2030-03-17 18:46 UTC")
        // Written by the previous version: said so.
        #expect(plan(record(fields: nil), desired(hash: "h2", fields: new)).changes == .notRecorded)
        // Refused once it started: the same diff.
        var started = record(fields: old)
        started.status = .completed
        let refused = plan(started, desired(hash: "h2", fields: new))
        #expect(refused.kind == .refused && refused.changes == FieldDiff.between(old, new))
        // An unknown outcome is refused for that: no diff. A provider without fields: no diff.
        var unknown = record(fields: old)
        unknown.intent = Intent(action: .create, startedAt: "t")
        #expect(plan(unknown, desired(hash: "h2", fields: new)).changes == nil)
        #expect(plan(record(fields: old), desired(hash: "h2", fields: nil)).changes == nil)
        // The decision is the same with or without fields.
        #expect(plan(record(fields: nil), desired(hash: "h2", fields: nil)).kind == .replace)
        #expect(plan(record(fields: nil), desired(hash: "h2", fields: nil)).reason == replaced.reason)
    }

    @Test func savedPlansCarryTheChangesAndRefuseEditedOnes() throws {
        var action = PlanAction(key: "a", kind: .replace, reason: "r", id: "7", requests: [ProviderRequest(path: "/1/targets/create.json", body: .object([]))],
                                facts: RecordFacts(provider: "clevertap", kind: "scheduled", name: "A", file: "a.yaml", hash: "h2", fields: new))
        action.changes = FieldDiff.between(old, new)
        var unrecorded = PlanAction(key: "b", kind: .refused, reason: "r")
        unrecorded.changes = .notRecorded
        let plan = Plan(actions: [action, unrecorded])
        let saved = SavedPlan(plan: plan, state: EngineState(), inputsHash: "i", paths: ["campaigns"])
        #expect(saved.json["format_version"]?.intValue == 3)
        let back = try SavedPlan(json: try JSONParser().parse(JSONWriter().string(saved.json)))
        #expect(back.plan.actions.map(\.changes) == [Optional(FieldDiff.between(old, new)), Optional(FieldDiff.notRecorded)])
        #expect(back.plan.actions.first?.facts?.fields == new)
        #expect(back.difference(from: plan) == nil)
        // What the reviewer read must be what the files and state make: an edited change is refused.
        var edited = saved.json
        let text = JSONWriter().string(edited).replacingOccurrences(of: "48 hours early", with: "49 hours early")
        edited = try JSONParser().parse(text)
        let tampered = try SavedPlan(json: edited)
        #expect(tampered.difference(from: plan)?.message.contains("other field changes") == true)
        // A plan of the previous format is refused as such.
        let older = try JSONParser().parse(JSONWriter().string(saved.json).replacingOccurrences(of: "\"format_version\": 3", with: "\"format_version\": 2"))
        #expect(throws: DeployError.self) { try SavedPlan(json: older) }
    }

    // MARK: CleverTap's fields

    @Test func cleverTapFieldsAreTheHashedBodyReadAsPeopleWriteIt() throws {
        let campaign = """
            name: Spring Sale 2027
            devices: [android, ios]
            audience:
              event: App Launched
              from: 2027-01-01
              to: 2027-03-15
              profile: {Customer Type: Platinum, Lifetime Orders: 12, "a.b": true}
            content: {title: "Spring Sale: 48 hours early", body: "Up to 40% off\\nthe new collection."}
            platform_specific:
              ios: {mutable-content: true, badge_count: 1}
              android: {wzrk_cid: marketing}
            options: {tag_group: spring, respect_frequency_caps: false}
            schedule: "2027-03-20 09:00"

            """
        let fixture = try ProjectFixture(["spring.yaml": campaign], project: "timezone: Europe/Berlin\n")
        let loaded = fixture.load()
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let fields = CleverTapFields.fields(of: try #require(loaded.campaigns.first), timezone: "Europe/Berlin")
        // The hashed body, flattened as the request blocks show it; dates and times as people write them.
        #expect(fields.map { "\($0.path): \($0.value)" } == [
            "name: \"Spring Sale 2027\"",
            "where.event_name: \"App Launched\"",
            "where.from: 2027-01-01",
            "where.to: 2027-03-15",
            "where.common_profile_properties.profile_fields.Customer Type: \"Platinum\"",
            "where.common_profile_properties.profile_fields.Lifetime Orders: 12",
            "where.common_profile_properties.profile_fields.\"a.b\": true",
            "content.title: \"Spring Sale: 48 hours early\"",
            "content.body: \"Up to 40% off\\nthe new collection.\"",
            "content.platform_specific.ios.mutable-content: \"true\"",
            "content.platform_specific.ios.badge_count: 1",
            "content.platform_specific.android.wzrk_cid: \"marketing\"",
            "devices: [\"android\", \"ios\"]",
            "when: 2027-03-20 09:00 Europe/Berlin",
            "tag_group: \"spring\"",
            "respect_frequency_caps: false",
        ])
        // The resource shows its schedule the same way; the request still says what the API takes.
        let context = try DeployContext.load(paths: [fixture.root], statePath: fixture.path("state.json"), environmentName: nil, environment: [:])
        let desired = try #require(context.desired.first)
        #expect(desired.schedule == "2027-03-20 09:00 Europe/Berlin")
        #expect(desired.requests().first?.body["when"]?.stringValue == "20270320 09:00")
        #expect(desired.fields == fields)
        #expect(desired.shown(try #require(desired.startsAt)) == "2027-03-20 09:00 Europe/Berlin")
    }

    @Test func deliveryPlansExpiriesAndWholeAudiencesReadAsWritten() throws {
        let campaign = """
            name: Plan
            devices: [ios]
            audience: {all: true}
            content: {title: T, body: B}
            schedule: {times: ["2027-05-08 09:30", "2027-05-09 09:30"], timezone: user, when_passed: drop}
            options: {ttl: {until: "2027-05-10 08:00"}}

            """
        let fixture = try ProjectFixture(["plan.yaml": campaign], project: "timezone: Europe/Berlin\n")
        let loaded = fixture.load()
        #expect(loaded.errors.isEmpty, "\(loaded.errors)")
        let fields = CleverTapFields.fields(of: try #require(loaded.campaigns.first), timezone: "Europe/Berlin")
        let shown = Dictionary(uniqueKeysWithValues: fields.map { ($0.path, $0.value) })
        #expect(shown["where"] == "{}")
        #expect(shown["when.delivery_date_time"] == "[2027-05-08 09:30 in each user's time zone, 2027-05-09 09:30 in each user's time zone]", "\(fields)")
        #expect(shown["when.delivery_timezone"] == "\"user\"" && shown["when.user_timezone_wrap_around"] == "false")
        #expect(shown["ttl.value"] == "2027-05-10 08:00 Europe/Berlin", "\(fields)")
        let context = try DeployContext.load(paths: [fixture.root], statePath: fixture.path("state.json"), environmentName: nil, environment: [:])
        #expect(context.desired.first?.schedule == "2027-05-08 09:30 in each user's time zone (+1 more)")
    }

    @Test func anIdentitySendKeepsNoRecipientsAsFields() throws {
        let fixture = try ProjectFixture(["vip.yaml": DeployHarness.send("VIP", identities: ["u1", "u2"])], project: "timezone: UTC\n")
        let fields = CleverTapFields.fields(of: try #require(fixture.load().campaigns.first), timezone: "UTC")
        #expect(fields.map(\.path) == ["channel", "content.title", "content.body", "content.platform_specific.android.wzrk_cid"])
        #expect(!fields.contains { $0.value.contains("u1") })
    }

    @Test func instantsAreShownInTheZoneAcrossDaylightSaving() throws {
        let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
        func shown(_ iso: String, _ zone: TimeZone = berlin, _ name: String = "Europe/Berlin") throws -> String {
            CleverTapFields.shown(try Date(iso, strategy: .iso8601), zone: zone, timezone: name)
        }
        #expect(try shown("2027-01-15T08:00:00Z") == "2027-01-15 09:00 Europe/Berlin")
        #expect(try shown("2027-07-01T12:30:00Z") == "2027-07-01 14:30 Europe/Berlin")
        #expect(try shown("2027-03-28T01:00:00Z") == "2027-03-28 03:00 Europe/Berlin")
        #expect(try shown("2027-12-31T23:30:00Z") == "2028-01-01 00:30 Europe/Berlin")
        #expect(try shown("2028-02-29T23:59:00Z", try #require(TimeZone(identifier: "UTC")), "UTC") == "2028-02-29 23:59 UTC")
        #expect(try shown("1969-12-31T23:00:00Z", try #require(TimeZone(identifier: "UTC")), "UTC") == "1969-12-31 23:00 UTC")
        #expect(try shown("2027-11-26T08:00:00Z", try #require(TimeZone(identifier: "America/New_York")), "America/New_York") == "2027-11-26 03:00 America/New_York")
        // Every day of four years, against Foundation's calendar.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for day in stride(from: -400, to: 1100, by: 1) {
            let date = Date(timeIntervalSince1970: Double(day) * 86_400 + 3_600 * 25)
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = String(format: "%04d-%02d-%02d 01:00 UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0)
            #expect(CleverTapFields.shown(date, zone: calendar.timeZone, timezone: "UTC") == expected)
        }
    }

    @Test func longValuesAndManyFieldsAreBounded() {
        let long = String(repeating: "é", count: 3_000)
        let bounded = CleverTapFields.bounded(long)
        #expect(bounded.utf8.count <= CleverTapFields.valueLimit)
        #expect(bounded.hasPrefix("éé") && bounded.hasSuffix(" bytes, sha256 \(ContentHash.sha256(Array(long.utf8)).prefix(16)))"))
        #expect(bounded.contains("… (6000 bytes"))
        // A change at the very end still shows as a change.
        #expect(CleverTapFields.bounded(long + "x") != bounded)
        #expect(CleverTapFields.bounded("short") == "short")
        #expect(CleverTapFields.segmentName("Customer Type") == "Customer Type")
        #expect(CleverTapFields.segmentName("a.b") == "\"a.b\"" && CleverTapFields.segmentName("a: b") == "\"a: b\"" && CleverTapFields.segmentName("") == "\"\"")
    }
}

/// The same, end to end: the real binary against the sandbox over loopback.
@Suite("Plan: field changes against the sandbox", .serialized)
struct PlanDiffApplyTests {
    /// The indented lines under `key`'s action line.
    static func changes(_ run: TestSupport.Run, _ key: String) -> [String] {
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.contains(" \(key): ") && !$0.hasPrefix(" ") }) else { return [] }
        return Array(lines[(start + 1)...].prefix { $0.hasPrefix(PlanRenderer.changeIndent) }).map { String($0.dropFirst(PlanRenderer.changeIndent.count)) }
    }

    static func berlin(_ kind: StateKind = .file) async throws -> DeployHarness {
        let h = try await DeployHarness.start(state: kind) { $0.timezone = "Europe/Berlin" }
        try "timezone: Europe/Berlin\n".write(toFile: h.root + "/campaigns/project.yaml", atomically: true, encoding: .utf8)
        return h
    }

    @Test(arguments: StateKind.allCases) func aReplaceShowsWhatChangedFieldByFieldInEveryFormat(state: StateKind) async throws {
        let h = try await Self.berlin(state)
        try h.write("spring.yaml", DeployHarness.segment("Spring", schedule: "\"2030-06-01 10:00\"", title: "Spring Sale"))
        #expect(try await h.apply().status == 0)
        #expect(try await h.record("spring")?["fields"]?["content.title"]?.stringValue == "\"Spring Sale\"")
        #expect(try await h.record("spring")?["fields"]?["when"]?.stringValue == "2030-06-01 10:00 Europe/Berlin")
        #expect(try await h.record("spring")?["schedule"]?.stringValue == "2030-06-01 10:00 Europe/Berlin")
        let unchanged = try await h.plan(["--detailed-exitcode"])
        #expect(unchanged.status == 0, "\(unchanged.stdout)\(unchanged.stderr)")
        #expect(unchanged.line("spring")?.hasSuffix("— scheduled for 2030-06-01 10:00 Europe/Berlin") == true, "\(unchanged.stdout)")
        #expect(!unchanged.stdout.contains("\n    "))

        try h.write("spring.yaml", DeployHarness.segment("Spring", schedule: "\"2030-06-02 09:30\"", title: "\"Spring Sale: 48 hours early\""))
        let text = try await h.plan()
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.line("spring")?.contains("replace [id ") == true, "\(text.stdout)")
        #expect(text.line("spring")?.contains("— changed while scheduled for 2030-06-01 10:00 Europe/Berlin: stop ") == true, "\(text.stdout)")
        #expect(Self.changes(text, "spring") == [
            "~ content.title: \"Spring Sale\" → \"Spring Sale: 48 hours early\"",
            "~ when: 2030-06-01 10:00 Europe/Berlin → 2030-06-02 09:30 Europe/Berlin",
        ], "\(text.stdout)")
        #expect(!text.stdout.contains("20300601") && !text.stdout.contains("20300602"))

        let json = try JSONParser().parse(try await h.plan(["--format", "json"]).stdout)
        let action = try #require(json["actions"]?.arrayValue?.first { $0["key"]?.stringValue == "spring" })
        #expect(action["changes_recorded"]?.boolValue == true)
        let changes = action["changes"]?.arrayValue ?? []
        #expect(changes.map { $0["path"]?.stringValue } == ["content.title", "when"])
        #expect(changes.first?["old"]?.stringValue == "\"Spring Sale\"" && changes.first?["new"]?.stringValue == "\"Spring Sale: 48 hours early\"")
        #expect(changes.last?["new"]?.stringValue == "2030-06-02 09:30 Europe/Berlin")
        // The request still says what the API takes.
        #expect(action["requests"]?.arrayValue?.first?["body"]?["when"]?.stringValue == "20300602 09:30")

        let markdown = try await h.plan(["--format", "markdown"])
        #expect(markdown.stdout.contains("<code>spring</code>: 2 fields changed, 1 request</summary>\n\n```diff\n- content.title: \"Spring Sale\"\n+ content.title: \"Spring Sale: 48 hours early\"\n"
            + "- when: 2030-06-01 10:00 Europe/Berlin\n+ when: 2030-06-02 09:30 Europe/Berlin\n```\n"), "\(markdown.stdout)")

        // Saved, reviewed and applied: the re-plan matches, changes included; the new request's fields are recorded.
        let planFile = h.root + "/plan.json"
        #expect(try await h.plan(["--out", planFile]).status == 0)
        let saved = try JSONParser().parse(try String(contentsOfFile: planFile, encoding: .utf8))
        #expect(saved["actions"]?.arrayValue?.first?["changes"]?.arrayValue?.count == 2)
        // A diff edited after review (making the change look smaller) is refused like an edited request.
        let savedText = try String(contentsOfFile: planFile, encoding: .utf8)
        let edited = savedText.replacingOccurrences(of: "\"old\": \"\\\"Spring Sale\\\"\"", with: "\"old\": \"\\\"Spring Sale: 48 hours early\\\"\"")
        #expect(edited != savedText)
        try edited.write(toFile: h.root + "/edited.json", atomically: true, encoding: .utf8)
        let refused = try await h.campaign(["apply", h.root + "/edited.json"])
        #expect(refused.status == 1 && refused.stderr.contains("error[S036]") && refused.stderr.contains("other field changes"), "\(refused.stderr)")
        #expect(await h.ledger("/1/targets/stop.json").isEmpty)
        let applied = try await h.campaign(["apply", planFile])
        #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
        #expect(Self.changes(applied, "spring").count == 2)
        #expect(try await h.record("spring")?["fields"]?["content.title"]?.stringValue == "\"Spring Sale: 48 hours early\"")
        let after = try await h.plan(["--detailed-exitcode"])
        #expect(after.status == 0, "\(after.stdout)")
        #expect(!after.stdout.contains("\n    "))
        await h.stop()
    }

    @Test(arguments: StateKind.allCases) func refusalsShowTheChangeToo(state: StateKind) async throws {
        let h = try await Self.berlin(state)
        try h.write("now.yaml", DeployHarness.segment("Now", schedule: "now", title: "Hello"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2"], title: "Hi"))
        #expect(try await h.apply().status == 0)
        await h.sandbox.state.advanceClock(by: 3600)
        try h.write("now.yaml", DeployHarness.segment("Now", schedule: "now", title: "Again"))
        try h.write("vip.yaml", DeployHarness.send("VIP", identities: ["u1", "u2", "u3"], title: "Other"))
        let plan = try await h.plan()
        #expect(plan.status == 1)
        #expect(plan.line("now")?.contains("— changed after it was completed") == true, "\(plan.stdout)")
        #expect(Self.changes(plan, "now") == ["~ content.title: \"Hello\" → \"Again\""], "\(plan.stdout)")
        #expect(plan.line("vip")?.contains("refused — changed after it was sent") == true)
        // The recipients are not fields: only what changed in the request is listed.
        #expect(Self.changes(plan, "vip") == ["~ content.title: \"Hi\" → \"Other\""], "\(plan.stdout)")
        #expect(try await h.record("vip")?["fields"]?.objectValue?.map({ $0.0 }) == ["channel", "content.title", "content.body", "content.platform_specific.android.wzrk_cid"])
        await h.stop()
    }

    @Test func aRecordOfThePreviousVersionSaysItsFieldsWereNotRecorded() async throws {
        let h = try await Self.berlin()
        try h.write("spring.yaml", DeployHarness.segment("Spring", schedule: "\"2030-06-01 10:00\"", title: "Spring Sale"))
        #expect(try await h.apply().status == 0)
        // As the previous version wrote it: no fields, the schedule as the API takes it.
        let path = h.root + "/state.json"
        var state = try StateStore(path: path).load()
        state.campaigns["spring"]?.fields = nil
        state.campaigns["spring"]?.schedule = "20300601 10:00"
        var text = JSONWriter().string(state.json)
        #expect(!text.contains("\"fields\""))
        text = text.replacingOccurrences(of: "2030-06-01 10:00 Europe/Berlin", with: "20300601 10:00")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        // Unchanged: the time reads as people write it all the same; no note.
        let unchanged = try await h.plan(["--detailed-exitcode"])
        #expect(unchanged.status == 0)
        #expect(unchanged.line("spring")?.hasSuffix("— scheduled for 2030-06-01 10:00 Europe/Berlin") == true, "\(unchanged.stdout)")
        #expect(!unchanged.stdout.contains("\n    "))
        // Changed: the honest note, no invented diff; the old time shown in the zone.
        try h.write("spring.yaml", DeployHarness.segment("Spring", schedule: "\"2030-06-02 10:00\"", title: "Spring Sale"))
        let plan = try await h.plan()
        #expect(plan.line("spring")?.contains("— changed while scheduled for 2030-06-01 10:00 Europe/Berlin: stop ") == true, "\(plan.stdout)")
        #expect(Self.changes(plan, "spring") == ["(fields not recorded before this version: the request last applied cannot be compared field by field)"])
        let json = try JSONParser().parse(try await h.plan(["--format", "json"]).stdout)
        let action = json["actions"]?.arrayValue?.first { $0["key"]?.stringValue == "spring" }
        #expect(action?["changes_recorded"]?.boolValue == false && action?["changes"]?.arrayValue?.isEmpty == true)
        let markdown = try await h.plan(["--format", "markdown"])
        #expect(markdown.stdout.contains("<code>spring</code>: fields last applied not recorded, 1 request</summary>"))
        // Applying records them: the next change is compared.
        #expect(try await h.apply().status == 0)
        try h.write("spring.yaml", DeployHarness.segment("Spring", schedule: "\"2030-06-02 10:00\"", title: "Summer Sale"))
        #expect(Self.changes(try await h.plan(), "spring") == ["~ content.title: \"Spring Sale\" → \"Summer Sale\""])
        await h.stop()
    }
}
