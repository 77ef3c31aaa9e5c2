import CampaignLanguage
import Diagnostics
import Foundation
import JSON
import Testing
import Workspace
import YAMLFrontEnd

/// The JSON Schemas in `schemas/` agree with `campaign validate`: the examples pass both, invalid fixtures fail both.
@Suite("JSON Schemas")
struct SchemaTests {
    static let schemas = TestSupport.repositoryRoot + "/schemas"

    /// Every document of `files` as JSON (core-schema typing, as editors read YAML 1.2).
    func documents(_ files: [String]) throws -> [JSONValue] {
        try files.flatMap { file -> [JSONValue] in
            let parsed = YAMLParser.parse(try TestSupport.bytes(file), file: file)
            #expect(parsed.diagnostics.isEmpty, "\(file)")
            return parsed.documents.enumerated().map { index, document in
                .object([("name", .string("\(file)#\(index)")), ("value", CoreSchema.json(document.root))])
            }
        }
    }

    /// Runs the Python `jsonschema` validator (installed by `make setup`).
    func check(_ documents: [JSONValue], against schema: String) throws -> [String: [String]] {
        let request = JSONValue.object([("schema", .string(Self.schemas + "/" + schema)), ("documents", .array(documents))])
        let input = try TestSupport.temporaryFolder() + "/request.json"
        try JSONWriter().string(request).write(toFile: input, atomically: true, encoding: .utf8)
        // Output to a file, not a pipe: a pipe read to its end waits for every process that inherited its write end.
        let run = try TestSupport.run(["python3", TestSupport.fixture("schema_check.py"), input], product: "/usr/bin/env")
        try #require(run.status == 0, "python3 with jsonschema is needed: run `make setup` (\(run.stderr))")
        return try JSONDecoder().decode([String: [String]].self, from: Data(run.stdout.utf8))
    }

    func yamlFiles(_ folder: String) -> [String] { SourceDiscovery.yamlFiles(under: folder) }

    @Test func examplesPassTheSchemasAndValidate() throws {
        let campaignsFolder = TestSupport.repositoryRoot + "/campaigns"
        let files = yamlFiles(campaignsFolder)
        // CleverPush resources have a schema per type; the others are CleverTap campaigns.
        let pushFiles = try files.filter { path in
            if path.hasSuffix("/project.yaml") { return false }
            return try String(contentsOfFile: path, encoding: .utf8).contains("\nprovider: cleverpush\n")
        }
        let clickFiles = try files.filter { path in
            if path.hasSuffix("/project.yaml") { return false }
            return try String(contentsOfFile: path, encoding: .utf8).contains("\nprovider: personaclick\n")
        }
        let campaignFiles = files.filter { !$0.hasSuffix("/project.yaml") && !pushFiles.contains($0) && !clickFiles.contains($0) }
        // PersonaClick's: a schema per type too.
        #expect(clickFiles.count == 3)
        for (type, schema) in [("subscription_preferences", "personaclick-subscription-preferences"), ("suppressions", "personaclick-suppressions")] {
            let typed = try clickFiles.filter { try String(contentsOfFile: $0, encoding: .utf8).contains("type: \(type)\n") }
            #expect(!typed.isEmpty, "\(type)")
            let results = try check(try documents(typed), against: schema + ".schema.json")
            for (name, errors) in results { #expect(errors.isEmpty, "\(name): \(errors)") }
            let others = try check(try documents(clickFiles.filter { !typed.contains($0) }), against: schema + ".schema.json")
            for (name, errors) in others { #expect(!errors.isEmpty, "\(name) passes \(schema)") }
        }
        #expect(pushFiles.count == 3)
        for (type, schema) in [("notification", "cleverpush-notification"), ("tag_audience", "cleverpush-tag-audience"), ("subscribers", "cleverpush-subscribers")] {
            let typed = try pushFiles.filter { try String(contentsOfFile: $0, encoding: .utf8).contains("type: \(type)\n") }
            #expect(typed.count == 1, "\(type)")
            let results = try check(try documents(typed), against: schema + ".schema.json")
            for (name, errors) in results { #expect(errors.isEmpty, "\(name): \(errors)") }
            // The other types' examples fail this type's schema.
            let others = try check(try documents(pushFiles.filter { !typed.contains($0) }), against: schema + ".schema.json")
            for (name, errors) in others { #expect(!errors.isEmpty, "\(name) passes \(schema)") }
        }
        let campaignResults = try check(try documents(campaignFiles), against: "campaign.schema.json")
        #expect(campaignResults.count == 17)
        for (name, errors) in campaignResults { #expect(errors.isEmpty, "\(name): \(errors)") }
        let projectResults = try check(try documents([campaignsFolder + "/project.yaml"]), against: "project.schema.json")
        for (name, errors) in projectResults { #expect(errors.isEmpty, "\(name): \(errors)") }
        #expect(ProjectLoader.load([campaignsFolder]).diagnostics.isEmpty)
    }

    @Test func invalidFixturesFailTheSchemaAndValidate() throws {
        let folder = TestSupport.fixture("invalid")
        let campaignFiles = yamlFiles(folder).filter { !$0.hasSuffix("/project.yaml") }
        #expect(campaignFiles.count >= 10)
        let results = try check(try documents(campaignFiles), against: "campaign.schema.json")
        for file in campaignFiles {
            #expect(results["\(file)#0"]?.isEmpty == false, "the schema accepts \(file)")
            let loaded = ProjectLoader.load([file])
            #expect(loaded.diagnostics.containsErrorsForTest, "validate accepts \(file)")
        }
        let project = try check(try documents([folder + "/project.yaml"]), against: "project.schema.json")
        #expect(project.values.first?.isEmpty == false)
    }

    @Test func everyPropertyHasADescription() throws {
        for schema in ["campaign.schema.json", "project.schema.json", "cleverpush-notification.schema.json", "cleverpush-tag-audience.schema.json", "cleverpush-subscribers.schema.json",
                       "personaclick-subscription-preferences.schema.json", "personaclick-suppressions.schema.json"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.schemas + "/" + schema))
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            var missing: [String] = []
            func walk(_ node: Any, path: String) {
                if let object = node as? [String: Any] {
                    if let properties = object["properties"] as? [String: Any] {
                        for (name, value) in properties {
                            if let property = value as? [String: Any], property["description"] == nil, !(property.isEmpty) {
                                if !(property.keys.contains("const") && property.count == 1) { missing.append("\(path).\(name)") }
                            }
                        }
                    }
                    for (key, value) in object where key != "allOf" { walk(value, path: path + "." + key) }
                } else if let array = node as? [Any] {
                    for (index, value) in array.enumerated() { walk(value, path: "\(path)[\(index)]") }
                }
            }
            walk(root, path: schema)
            #expect(missing.isEmpty, "\(missing)")
        }
    }
}

extension Array where Element == Diagnostics.Diagnostic {
    var containsErrorsForTest: Bool { contains { $0.severity == .error } }
}
