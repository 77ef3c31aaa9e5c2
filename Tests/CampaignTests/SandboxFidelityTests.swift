import CampaignLanguage
import CleverTapClient
import CleverTapCompiler
import CleverTapSandbox
import Foundation
import JSON
import Testing
import Workspace

/// Issue 13, point 8 and 9: the sandbox accepts what the current API accepts (every channel, both profile filter
/// forms, `segment: "all"`, the `when` object, the options) and refuses what the documentation says fails, with
/// the documented messages. All over loopback, through the harness the contract tests use.
@Suite("Sandbox fidelity: the current API", .serialized)
struct SandboxFidelityTests {
    static let referenceFolder = TestSupport.fixture("reference/current")
    /// The documented examples are scheduled in 2025: the sandbox starts before them.
    static let start = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z

    static func harness(_ configure: @escaping (inout SandboxConfiguration) -> Void = { _ in }) async throws -> SandboxHarness {
        try await SandboxHarness.start {
            $0.startTime = start
            $0.providers = ["email": ["SendGrid"], "sms": ["Twilio"]]
            $0.customControlGroups = ["Loyal holdout"]
            configure(&$0)
        }
    }

    static func reference(_ name: String) throws -> String {
        try String(contentsOfFile: referenceFolder + "/" + name + ".json", encoding: .utf8)
    }

    static func post(_ h: SandboxHarness, _ path: String, _ body: String) async throws -> (status: Int, body: JSONValue?, retryAfter: String?) {
        try await SandboxHarness.rawPost(h.sandbox.baseURL + path, body: body)
    }

    /// `body` with `member` replaced (or added) at the top level, or removed when `value` is nil.
    static func with(_ body: String, _ member: String, _ value: JSONValue?) throws -> String {
        var members = try JSONParser().parse(Array(body.utf8)).objectValue ?? []
        members.removeAll { $0.0 == member }
        if let value { members.append((member, value)) }
        return JSONWriter(indent: nil).string(.object(members))
    }

    static func json(_ text: String) throws -> JSONValue { try JSONParser().parse(Array(text.utf8)) }

    @Test(arguments: ["a-webpush-operator-filter", "b-sms", "c-email-sender-name", "d-push-when-object", "e-segment-all"])
    func theReferenceCreatePayloadsAreAcceptedUnchanged(_ name: String) async throws {
        let h = try await Self.harness()
        let answer = try await Self.post(h, "/1/targets/create.json", try Self.reference(name))
        #expect(answer.status == 200, "\(name): \(answer.body?.compactText ?? "")")
        #expect(answer.body?["status"]?.stringValue == "success")
        #expect(answer.body?["estimates"]?.objectValue != nil)
        await h.stop()
    }

    @Test func theReferenceIdentityEmailIsAcceptedUnchanged() async throws {
        let h = try await Self.harness()
        let answer = try await Self.post(h, "/1/send/email.json", try Self.reference("f-identity-email"))
        #expect(answer.status == 200)
        #expect(answer.body?["message"]?.stringValue == "Added to queue for processing")
        #expect(await h.ledgerCount("/1/send/email.json") == 1)
        await h.stop()
    }

    @Test func estimatesArePerDeviceWebIncludedAndPerChannelForEmailAndSMS() async throws {
        let h = try await Self.harness()
        let web = try await Self.post(h, "/1/targets/create.json", try Self.reference("a-webpush-operator-filter"))
        #expect(web.body?["estimates"]?.objectValue?.map(\.0) == ["web"])
        #expect(web.body?["id"] == nil)  // estimate_only: nothing created
        let push = try await Self.post(h, "/1/targets/create.json", try Self.reference("d-push-when-object"))
        #expect(push.body?["estimates"]?.objectValue?.map(\.0) == ["android", "ios"])
        let sms = try await Self.post(h, "/1/targets/create.json", try Self.reference("b-sms"))
        #expect(sms.body?["estimates"]?.objectValue?.map(\.0) == ["sms"])
        let skipped = try await Self.post(h, "/1/targets/create.json", try Self.with(Self.reference("e-segment-all"), "skip_estimate", .bool(true)))
        #expect(skipped.body?["estimates"]?.objectValue?.isEmpty == true)
        #expect(skipped.body?["id"]?.intValue != nil)
        await h.stop()
    }

    /// Each invalid variant of a valid body, and the message the documentation (or the sandbox's contract) gives.
    static let refusals: [(base: String, member: String, value: JSONValue?, message: String)] = [
        ("a-webpush-operator-filter", "devices", .array([.string("android")]), #"Invalid device "android""#),
        ("d-push-when-object", "devices", .array([.string("web")]), #"Invalid device "web""#),
        ("a-webpush-operator-filter", "target_mode", .string("webhooks"), #"Invalid target_mode "webhooks""#),
        ("e-segment-all", "where", .object([]), "Target does not support both where and segment"),
        ("e-segment-all", "segment", .string("everyone"), "segment value must be all"),
        ("e-segment-all", "segment", nil, "Query specified in where failed to parse"),
        ("c-email-sender-name", "provider_nick_name", .string("Mailgun"), "InCorrect provider_nick_name!"),
        ("b-sms", "provider_nick_name", .string("SendGrid"), "InCorrect provider_nick_name!"),
        ("d-push-when-object", "control_group", .object([("type", .string("custom")), ("name", .string("VIP holdout"))]), "No custom control group with name VIP holdout is defined"),
        ("d-push-when-object", "control_group", .object([("type", .string("campaign")), ("percentage", .string("10"))]), "Field control_group.percentage must be an integer from 1 to 100"),
        ("d-push-when-object", "ttl", .object([("ttl_type", .string("forever")), ("value", .int(1))]), "Field ttl is invalid"),
        ("d-push-when-object", "respect_throttle", .string("yes"), "Field respect_throttle must be a boolean"),
        ("d-push-when-object", "send_to_all_devices", .int(1), "Field send_to_all_devices must be a boolean"),
        ("d-push-when-object", "system_control_group_include", .string("true"), "Field system_control_group_include must be a boolean"),
        ("d-push-when-object", "skip_estimate", .null, "Field skip_estimate must be a boolean"),
        ("d-push-when-object", "conversion_goal", .object([("conversion_time", .string("1D"))]), "Field conversion_goal.event_name is empty"),
        ("d-push-when-object", "when", nil, "Field when is empty"),
        ("d-push-when-object", "when", .object([("type", .string("later")), ("delivery_date_time", .array([.string("20241231 10:00")]))]), "Field when is in the past"),
        ("d-push-when-object", "when", .object([("type", .string("later")), ("delivery_date_time", .array([]))]), "Field when is invalid"),
        ("d-push-when-object", "when", .object([("type", .string("later")), ("delivery_date_time", .array([.string("20250503 15:20")])), ("dnd", .object([("message_state", .string("hold"))]))]), "Field when is invalid"),
        ("d-push-when-object", "when", .object([("type", .string("later")), ("delivery_date_time", .array([.string("20250503 15:20")])), ("campaign_cutoff", .string("25:00"))]), "Field when is invalid"),
        ("b-sms", "when", .object([("type", .string("later")), ("delivery_date_time", .array([.string("20250503 15:20")]))]), "Field when is invalid (an object is for push campaigns only)"),
        ("d-push-when-object", "name", .string(""), "Field name is empty"),
        ("d-push-when-object", "content", nil, "Field title is empty (inside content)"),
        ("c-email-sender-name", "content", .object([("body", .string("<p>x</p>"))]), "Field subject is empty (inside content)"),
        ("b-sms", "content", .object([("title", .string("No body"))]), "Field body is empty (inside content)"),
        ("e-segment-all", "content", .object([("title", .string("Hi")), ("body", .string("There"))]), "Notification channel is required for devices having Android 8.0 or above"),
    ]

    @Test func invalidVariantsAreRefusedWithTheDocumentedMessages() async throws {
        let h = try await Self.harness()
        for refusal in Self.refusals {
            let body = try Self.with(Self.reference(refusal.base), refusal.member, refusal.value)
            let answer = try await Self.post(h, "/1/targets/create.json", body)
            #expect(answer.body?["status"]?.stringValue == "fail", "\(refusal.base) \(refusal.member)")
            #expect(answer.body?["error"]?.stringValue == refusal.message, "\(refusal.base) \(refusal.member): \(answer.body?.compactText ?? "")")
            #expect(answer.status == 400 || refusal.message.hasPrefix("Notification channel"), "\(refusal.base) \(refusal.member)")
        }
        #expect(await h.ledgerCount("/1/targets/create.json") == 0)
        await h.stop()
    }

    static func withProfileFields(_ fields: JSONValue) -> String {
        let body = JSONValue.object([
            ("name", .string("Filters")), ("target_mode", .string("push")),
            ("where", .object([("common_profile_properties", .object([("profile_fields", fields)]))])),
            ("content", .object([("title", .string("T")), ("body", .string("B"))])),
            ("devices", .array([.string("ios")])), ("when", .string("now")),
        ])
        return JSONWriter(indent: nil).string(body)
    }

    @Test func bothProfileFilterFormsAndTheDocumentedOperatorsPerType() async throws {
        let h = try await Self.harness()
        func item(_ name: String, _ op: String, _ value: JSONValue?) -> JSONValue {
            .object([("name", .string(name)), ("operator", .string(op))] + (value.map { [("value", $0)] } ?? []))
        }
        let accepted: [JSONValue] = [
            .array([.object([("Key", .string("Customer Type")), ("value", .string("Platinum"))])]),
            .array([.object([("Key", .string("Newsletter")), ("value", .bool(true))])]),
            .array(["equals", "not_equals", "contains", "does_not_contain"].map { item("City", $0, .string("Berlin")) }),
            .array([item("Phone", "exists", nil), item("Fax", "does_not_exist", nil)]),
            .array(["equals", "greater_than", "greater_than_equals", "less_than", "less_than_equals"].map { item("Orders", $0, .int(3)) }),
            .array([item("Newsletter", "equals", .string("True")), item("test.dot7", "equals", .string("x"))]),
            .array([item("Tier", "equals", .array([.string("Gold"), .string("Platinum")]))]),
        ]
        for fields in accepted {
            let answer = try await Self.post(h, "/1/targets/create.json", Self.withProfileFields(fields))
            #expect(answer.status == 200, "\(fields.compactText): \(answer.body?.compactText ?? "")")
        }
        let refused: [JSONValue] = [
            .array([item("City", "greater_than", .string("Berlin"))]),    // a number operator on a string
            .array([item("Orders", "contains", .int(3))]),                // a string operator on a number
            .array([item("Newsletter", "equals", .bool(true))]),         // booleans are "True"/"False" in this form
            .array([item("Orders", "between", .array([.int(1), .int(5)]))]),  // not documented
            .array([item("City", "not_contains", .string("x"))]),         // not documented
            .array([item("Orders", "equals", .array([.int(1), .string("x")]))]),  // mixed types
            .array([.object([("Key", .string("City"))])]),                // no value
            .array([.object([("name", .string("City")), ("value", .string("x"))])]),  // no operator
        ]
        for fields in refused {
            let answer = try await Self.post(h, "/1/targets/create.json", Self.withProfileFields(fields))
            #expect(answer.body?["error"]?.stringValue == "Query specified in where failed to parse", "\(fields.compactText)")
        }
        await h.stop()
    }

    @Test func identitySendsOnAllFourEndpoints() async throws {
        let h = try await Self.harness()
        let to: (String, JSONValue) = ("to", .object([("Identity", .array([.string("u1")]))]))
        let bodies: [(String, JSONValue)] = [
            ("/1/send/push.json", .object([to, ("content", .object([("title", .string("T")), ("body", .string("B")),
                                                                  ("platform_specific", .object([("android", .object([("wzrk_cid", .string("c"))]))]))]))])),
            ("/1/send/webpush.json", .object([to, ("content", .object([("title", .string("T")), ("body", .string("B")),
                                                                     ("platform_specific", .object([("chrome", .object([("deep_link", .string("https://x"))]))]))]))])),
            ("/1/send/email.json", .object([to, ("content", .object([("subject", .string("S")), ("body", .string("<p>B</p>")), ("sender_name", .string("Shop"))]))])),
            ("/1/send/sms.json", .object([to, ("provider_nick_name", .string("Twilio")), ("content", .object([("body", .string("B"))]))])),
        ]
        for (path, body) in bodies {
            try await h.client.send(path: path, body: body)
            #expect(await h.ledgerCount(path) == 1, "\(path)")
        }
        let wrongProvider = await cleverTapError {
            try await h.client.send(path: "/1/send/sms.json", body: .object([to, ("provider_nick_name", .string("Nope")), ("content", .object([("body", .string("B"))]))]))
        }
        #expect(wrongProvider?.message == "InCorrect provider_nick_name!")
        let noBody = await cleverTapError { try await h.client.send(path: "/1/send/sms.json", body: .object([to, ("content", .object([("title", .string("T"))]))])) }
        #expect(noBody?.message == "Field body is empty (inside content)")
        await h.stop()
    }

    @Test func theConcurrencyLimitAnswersTheCurrentDocsText() async throws {
        let h = try await Self.harness { $0.targetsLatency = 1.5; $0.lockout = 4 }
        let url = h.sandbox.baseURL + "/1/targets/result.json"
        let answers = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for _ in 0..<4 { group.addTask { try await SandboxHarness.rawPost(url, body: #"{"id":1}"#).body } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let errors: [String] = answers.compactMap { $0?["error"]?.stringValue }
        #expect(errors.contains("Too many concurrent requests"), "\(errors)")
        await h.stop()
    }

    /// Variants beyond the examples, one per channel and feature, each compiled and sent to the sandbox.
    static let variants: [String: String] = [
        "push-plan.yaml": """
            name: Push plan
            channel: push
            devices: [android, windows]
            audience: {profile: {Orders: {operator: less_than_equals, value: 2.5}}}
            content: {title: T, body: B}
            schedule: {times: ["2031-01-01 08:00", "2031-02-01 08:00"], do_not_disturb: discard, cutoff: "20:00"}
            options: {skip_estimate: true, send_to_all_devices: false, control_group: {custom: Loyal holdout}, ttl: {until: "2031-02-02 08:00"}, conversion_goal: {event: Charged, within: 30m}, provider_nick_name: FCM}
            """,
        "push-user-zone.yaml": """
            name: Push user zone
            devices: [ios]
            audience: {event: App Launched, from: 2030-01-01, to: 2030-12-31, profile: {Tier: {operator: does_not_exist}}}
            content: {title: T, body: B}
            schedule: {times: ["2031-01-01 08:00"], timezone: user, when_passed: next_day, do_not_disturb: delay}
            options: {respect_throttle: false, system_control_group_include: true, ttl: {minutes: 60}}
            """,
        "web.yaml": """
            name: Web all keys
            channel: webpush
            audience: {profile: {Visits: {operator: greater_than, value: [3, 5]}, Browser: {operator: contains, value: fox}}}
            content: {title: T, body: B}
            platform_specific:
              chrome: {image: i, icon: i, deep_link: d, ttl: 10, require_interaction: false, cta_title1: t, cta_link1: l, cta_iconlink1: c, custom: 1}
              firefox: {icon: i, deep_link: d, ttl: 10}
              safari: {deep_link: d, ttl: 10}
              kaios: {icon: i, ttl: 10, kaiosKV: {a: b, n: 1, f: true}}
            schedule: "2031-01-01 08:00"
            options: {control_group: {percentage: 99}, respect_frequency_caps: false}
            """,
        "mail.yaml": """
            name: Mail all
            channel: email
            audience: all
            content: {subject: S, body: <p>B</p>, sender_name: Shop}
            schedule: now
            options: {provider_nick_name: SendGrid, conversion_goal: {event: Purchased, within: 1M, revenue_property: Amount}}
            """,
        "text.yaml": """
            name: Text all
            channel: sms
            audience: {profile: {Newsletter: {operator: equals, value: false}, Country: IN}}
            content: {body: B, dlt: {template_id: "11", entity_id: "22"}}
            schedule: now
            options: {provider_nick_name: Twilio, tag_group: sms}
            """,
        "send-web.yaml": "name: SW\ntype: identity\nchannel: webpush\naudience: {email: [a@example.com]}\ncontent: {title: T, body: B}\nplatform_specific: {kaios: {kaiosKV: {k: v}}}\n",
        "send-sms.yaml": "name: SS\ntype: identity\nchannel: sms\naudience: {identity: [u1]}\ncontent: {body: B, dlt: {template_id: \"1\"}}\noptions: {provider_nick_name: Twilio}\n",
        "send-mail.yaml": "name: SM\ntype: identity\nchannel: email\naudience: {email: [a@example.com]}\ncontent: {subject: S, body: B, sender_name: N}\noptions: {provider_nick_name: SendGrid, respect_frequency_caps: false}\n",
        "send-push.yaml": "name: SP\ntype: identity\naudience: {gpid: [g1]}\ncontent: {title: T, body: B}\noptions: {provider_nick_name: FCM}\n",
    ]

    @Test func everyChannelAndFeatureVariantCompilesToAnAcceptedRequest() async throws {
        let fixture = try ProjectFixture(Self.variants, project: "timezone: Europe/Berlin\ndefaults:\n  platform_specific:\n    android: {wzrk_cid: general}\n")
        let loaded = fixture.load()
        #expect(!loaded.diagnostics.containsErrorsForTest, "\(loaded.diagnostics.map(\.message))")
        #expect(loaded.campaigns.count == Self.variants.count)
        let h = try await Self.harness { $0.startTime = nil; $0.providers["push"] = ["FCM"] }
        for request in CleverTapCompiler.compile(loaded.campaigns) {
            let answer = try await Self.post(h, request.path, JSONWriter(indent: nil).string(request.body))
            #expect(answer.status == 200, "\(request.key) \(request.path): \(answer.body?.compactText ?? "")")
        }
        #expect(await h.ledgerCount("/1/targets/create.json") == 5)
        for path in ["/1/send/push.json", "/1/send/webpush.json", "/1/send/email.json", "/1/send/sms.json"] {
            #expect(await h.ledgerCount(path) == 1, "\(path)")
        }
        await h.stop()
    }

    /// Every example in `campaigns/` (every channel and feature) compiles to requests the sandbox accepts.
    @Test func everyCompiledExampleIsAcceptedOverLoopback() async throws {
        let loaded = ProjectLoader.load([TestSupport.repositoryRoot + "/campaigns"])
        #expect(!loaded.diagnostics.containsErrorsForTest, "\(loaded.diagnostics)")
        let h = try await Self.harness { $0.startTime = nil }
        var paths: Set<String> = []
        for request in CleverTapCompiler.compile(loaded.campaigns) {
            let answer = try await Self.post(h, request.path, JSONWriter(indent: nil).string(request.body))
            #expect(answer.status == 200, "\(request.key) \(request.path): \(answer.body?.compactText ?? "")")
            paths.insert(request.path)
        }
        #expect(paths == ["/1/targets/create.json", "/1/send/push.json", "/1/send/email.json", "/1/send/webpush.json", "/1/send/sms.json"])
        await h.stop()
    }
}
