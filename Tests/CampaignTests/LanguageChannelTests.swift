import CampaignLanguage
import CampaignModel
import CleverTapCompiler
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace

/// Issue 13, point 1: channels for segment campaigns and identity sends, each with its fields, diagnostics and
/// request shape.
@Suite("Campaign language: channels")
struct LanguageChannelTests {
    func load(_ text: String, project: String? = nil) throws -> LoadedCampaigns {
        try ProjectFixture(campaign: text, project: project).load()
    }

    func body(_ text: String, project: String? = nil) throws -> JSONValue {
        let loaded = try load(text, project: project)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        return try #require(loaded.requests.first?.body)
    }

    @Test func aPushThatNamesNoChannelHasNoTargetModeAndOneThatDoesHasIt() throws {
        let implicit = try body(validSegment)
        #expect(implicit["target_mode"] == nil)
        let explicit = try body(validSegment + "channel: push\n")
        #expect(explicit["target_mode"]?.stringValue == "push")
        #expect(explicit.compactText.hasPrefix(#"{"name":"Test campaign","target_mode":"push","where":{}"#))
    }

    @Test func webPushTargetsWebWithBrowserSettings() throws {
        let request = try body("""
            name: Web
            channel: webpush
            audience: all
            content: {title: T, body: B}
            platform_specific:
              chrome: {icon: i.png, ttl: 10, require_interaction: true, cta_title1: Go}
              kaios: {ttl: 10, kaiosKV: {key1: value1, n: 2}}
            schedule: now
            """)
        #expect(request.compactText == #"{"name":"Web","target_mode":"webpush","where":{},"content":{"title":"T","body":"B","platform_specific":{"chrome":{"icon":"i.png","ttl":10,"require_interaction":true,"cta_title1":"Go"},"kaios":{"ttl":10,"kaiosKV":{"key1":"value1","n":2}}}},"devices":["web"],"when":"now"}"#)
        #expect(try body("name: W\nchannel: webpush\ndevices: [web]\naudience: all\ncontent: {title: T, body: B}\nschedule: now\n")["devices"]?.compactText == #"["web"]"#)
    }

    @Test func webPushDiagnostics() throws {
        let loaded = try load("""
            name: Web
            channel: webpush
            devices: [android]
            audience: all
            content: {title: T, body: B}
            platform_specific:
              android: {wzrk_cid: c}
              chrome: {require_interaction: "yes", ttl: -1}
            schedule: now
            """)
        #expect(loaded.codes == ["C004", "C001", "C002", "C004"])
        #expect(loaded.first("C004")?.hint?.contains("remove `devices`") == true)
        #expect(loaded.first("C001")?.hint?.contains("a web push (`channel: webpush`) takes `chrome`, `firefox`, `safari`, `kaios`") == true)
    }

    @Test func webOnAPushAndBrowsersOnAPushPointToWebPush() throws {
        let loaded = try load("name: P\ndevices: [ios, web]\naudience: all\ncontent: {title: T, body: B}\nplatform_specific: {chrome: {icon: x}}\nschedule: now\n")
        #expect(loaded.codes == ["C004", "C001"])
        #expect(loaded.first("C004")?.hint?.contains("channel: webpush") == true)
        #expect(loaded.first("C001")?.hint?.contains("write `channel: webpush`") == true)
    }

    @Test func segmentEmailNeedsSubjectBodyAndSenderNameAndTakesNoDevices() throws {
        let request = try body("""
            name: Mail
            channel: email
            audience: {event: Charged}
            content: {subject: S, body: <p>B</p>, sender_name: Shop}
            schedule: "2030-01-01 10:00"
            options: {provider_nick_name: SendGrid}
            """)
        #expect(request.compactText == #"{"name":"Mail","target_mode":"email","where":{"event_name":"Charged"},"content":{"subject":"S","body":"<p>B</p>","sender_name":"Shop"},"when":"20300101 10:00","provider_nick_name":"SendGrid"}"#)
        let loaded = try load("name: Mail\nchannel: email\ndevices: [ios]\naudience: all\ncontent: {subject: S, title: T, body: B}\nplatform_specific: {ios: {sound_file: x}}\nschedule: now\n")
        #expect(loaded.codes == ["C008", "C003", "C001", "C008"])
        #expect(loaded.first("C001")?.hint == "an email has a `subject`, not a `title`")
        #expect(loaded.first("C003")?.message == "`content` has no `sender_name` (the name the email comes from)")
    }

    @Test func identityEmailKeepsSenderNameOptionalAndSendsItWhenGiven() throws {
        let send = "name: E\ntype: identity\nchannel: email\naudience: {email: [a@example.com]}\n"
        let without = try body(send + "content: {subject: S, body: B}\n")
        #expect(without["content"]?.compactText == #"{"subject":"S","body":"B"}"#)
        let with = try body(send + "content: {subject: S, body: B, sender_name: Shop}\n")
        #expect(with["content"]?.compactText == #"{"subject":"S","body":"B","sender_name":"Shop"}"#)
    }

    @Test func smsHasABodyAndOptInDLTIds() throws {
        let request = try body("""
            name: Text
            channel: sms
            audience: {profile: {Country: IN}}
            content:
              body: Your code is ready
              dlt: {template_id: "1107160000000012345", entity_id: "1101000000000067890"}
            schedule: now
            options: {provider_nick_name: Twilio}
            """)
        #expect(request.compactText == #"{"name":"Text","target_mode":"sms","where":{"common_profile_properties":{"profile_fields":[{"Key":"Country","value":"IN"}]}},"content":{"body":"Your code is ready","message_info":{"template_id":"1107160000000012345","entity_id":"1101000000000067890"}},"when":"now","provider_nick_name":"Twilio"}"#)
        let loaded = try load("name: T\nchannel: sms\naudience: all\ncontent: {title: T, dlt: {entity_id: e}}\nschedule: {times: [\"2030-01-01 10:00\"]}\n")
        #expect(loaded.codes == ["C003", "C001", "C003", "C008"])
        #expect(loaded.first("C001")?.hint == "an SMS has only a `body`")
    }

    @Test func identitySendsReachTheirChannelsEndpoint() throws {
        let cases: [(String, String, String)] = [
            ("push", "content: {title: T, body: B}\nplatform_specific: {android: {wzrk_cid: c}}\n", "/1/send/push.json"),
            ("webpush", "content: {title: T, body: B}\nplatform_specific: {chrome: {deep_link: \"https://x\"}}\n", "/1/send/webpush.json"),
            ("email", "content: {subject: S, body: B}\n", "/1/send/email.json"),
            ("sms", "content: {body: B}\n", "/1/send/sms.json"),
        ]
        for (channel, content, path) in cases {
            let loaded = try load("name: S\ntype: identity\nchannel: \(channel)\naudience: {identity: [u1]}\n" + content + "options: {provider_nick_name: P}\n")
            #expect(loaded.diagnostics.isEmpty, "\(channel): \(loaded.diagnostics.map(\.message))")
            let request = try #require(loaded.requests.first)
            #expect(request.path == path)
            #expect(request.body["target_mode"] == nil)
            #expect(request.body["provider_nick_name"]?.stringValue == "P")
        }
    }

    @Test func anUnknownChannelNamesTheChannels() throws {
        let loaded = try load(validSegment + "channel: webpsuh\n")
        let channel = try #require(loaded.errors.first { $0.message.hasPrefix("`channel`") })
        #expect(channel.message.contains("`push`, `webpush`, `email`, `sms`"))
        #expect(channel.hint == "did you mean `webpush`?")
        // Checked as a web push: its `devices: [ios]` is reported too.
        #expect(loaded.codes == ["C004", "C004"])
        // The rest is checked as the channel suggested, so one run reports everything.
        let more = try load("name: M\nchannel: emal\naudience: all\ncontent: {subject: S, body: B}\nschedule: now\n")
        #expect(more.codes == ["C004", "C003"])
        #expect(more.errors.last?.message == "`content` has no `sender_name` (the name the email comes from)")
        #expect(try load(validSegment + "channel: emial\n").codes == ["C004"])  // nothing close enough: only this error
        #expect(try load(validSegment + "channel: carrier-pigeon\n").codes == ["C004"])
    }

    @Test func defaultsThatDoNotFitAChannelAreLeftOut() throws {
        let project = """
            timezone: UTC
            defaults:
              channel: email
              devices: [android, ios]
              platform_specific: {android: {wzrk_cid: marketing}, ios: {sound_file: a.caf}}
              options: {respect_frequency_caps: true, ttl: {minutes: 60}, respect_throttle: true}
            """
        let fixture = try ProjectFixture([
            "web.yaml": "name: W\nchannel: webpush\naudience: all\ncontent: {title: T, body: B}\nschedule: now\n",
            "sms.yaml": "name: S\nchannel: sms\naudience: all\ncontent: {body: B}\nschedule: now\n",
            "send.yaml": "name: E\ntype: identity\naudience: {email: [a@example.com]}\ncontent: {subject: S, body: B}\n",
            "push.yaml": "name: P\naudience: all\ncontent: {title: T, body: B}\nschedule: now\n",
        ], project: project)
        let loaded = fixture.load()
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        let bodies = Dictionary(uniqueKeysWithValues: loaded.requests.map { ($0.key, $0.body.compactText) })
        #expect(bodies["web"] == #"{"name":"W","target_mode":"webpush","where":{},"content":{"title":"T","body":"B"},"devices":["web"],"when":"now","respect_frequency_caps":true,"respect_throttle":true}"#)
        #expect(bodies["sms"] == #"{"name":"S","target_mode":"sms","where":{},"content":{"body":"B"},"when":"now","respect_frequency_caps":true,"respect_throttle":true}"#)
        // defaults.channel applies to identity sends only, as before issue 13; create-only options are left out.
        #expect(bodies["send"] == #"{"to":{"Email":["a@example.com"]},"respect_frequency_caps":true,"content":{"subject":"S","body":"B"}}"#)
        #expect(bodies["push"]?.contains("\"target_mode\"") == false)
        #expect(bodies["push"]?.contains(#""ttl":{"ttl_type":"relative","value":60}"#) == true)
    }
}
