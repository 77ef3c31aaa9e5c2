import ArgumentParser
import CampaignDeploy
import CampaignEngine
import Foundation
import PostgresState

/// `campaign state init`: creates the state (a database's tables and the environment's workspace, or the file).
struct StateInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the state: in a database, the tables (or migrate them) and the environment's workspace; else the state file.",
        discussion: "Nothing is changed when the state exists already (the database's tables are still migrated). Runs that write create the tables themselves too."
    )
    @OptionGroup var options: StateOptions

    func run() async throws {
        let backend = try options.backend()
        do {
            let lease = try await backend.lease(command: "campaign state init")
            // Tables made before their columns' compression was part of the schema get it now.
            if let postgres = backend as? PostgresStateBackend { try await postgres.tuneStorage() }
            if let state = try await lease.read() {
                await lease.release()
                printOut("The state \(backend.shown) exists (lineage \(state.lineage), serial \(state.serial), \(state.campaigns.count) records); nothing to do.\n")
                return
            }
            let writer = await lease.writer(EngineState())
            try await writer.create()
            let lineage = await writer.state.lineage
            await lease.release()
            printOut("Created the state \(backend.shown) (lineage \(lineage)).\n")
        } catch {
            throw fail(error)
        }
    }
}

/// `campaign state push URL`: copies the state to a database workspace.
struct StatePushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Copy the state (for example the local file) to a PostgreSQL workspace (the environment's: --env, else `default`).",
        discussion: "Refuses to overwrite a workspace holding another state (another lineage) or a newer one of the same lineage, unless --force. The password comes from PGPASSWORD or PGPASSFILE."
    )
    @Argument(help: ArgumentHelp("The database: postgres://user@host:port/db?sslmode=…&schema=…", valueName: "url")) var url: String
    @Flag(help: "Overwrite a workspace holding another state, or a newer one.") var force = false
    @OptionGroup var options: StateOptions

    func run() async throws {
        let destination: StateAddress
        do { destination = try StateAddress.parse(url) } catch { throw fail(error) }
        guard case .postgres = destination else {
            throw fail("S068", "`state push` copies to a database: give a postgres:// URL", hint: "to copy a database's state into a file, use `campaign state pull PATH`")
        }
        try await StateCopy.copy(options: options, to: destination, force: force)
    }
}

/// `campaign state pull PATH`: copies the state (a database workspace) to a file.
struct StatePullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Copy the state (for example a PostgreSQL workspace, named by --state or CAMPAIGN_STATE) to a state file.",
        discussion: "Refuses to overwrite a file holding another state (another lineage) or a newer one of the same lineage, unless --force."
    )
    @Argument(help: ArgumentHelp("The state file to write.", valueName: "path")) var path: String
    @Flag(help: "Overwrite a file holding another state, or a newer one.") var force = false
    @OptionGroup var options: StateOptions

    func run() async throws {
        let destination: StateAddress
        do { destination = try StateAddress.parse(path) } catch { throw fail(error) }
        guard case .file = destination else {
            throw fail("S068", "`state pull` copies to a file: give a path", hint: "to copy a state into a database, use `campaign state push URL`")
        }
        try await StateCopy.copy(options: options, to: destination, force: force)
    }
}

enum StateCopy {
    /// The keys whose record in `destination` would be lost or rolled back by writing `source` over it: gone from
    /// the source, delivered to more members, or changed later there.
    static func lost(from destination: EngineState, keeping source: EngineState) -> [String] {
        destination.campaigns.compactMap { key, kept -> String? in
            guard let copy = source.campaigns[key] else { return key }
            if kept == copy { return nil }
            let deliveredMore = kept.delivered.contains { kind, members in members.count > (copy.delivered[kind]?.count ?? 0) }
            return deliveredMore || kept.updatedAt > copy.updatedAt || (kept.intent != nil && kept.intent != copy.intent) ? key : nil
        }.sorted()
    }

    /// Copies the state `options` name to `destination`, both locked while it is copied.
    static func copy(options: StateOptions, to destination: StateAddress, force: Bool) async throws {
        let source = try options.backend()
        let target: any StateBackend
        do {
            target = try DeployContext.backend(destination, fromRunner: true, environmentName: options.deploy.env,
                                               environment: options.deploy.environment, logger: options.deploy.logger)
        } catch {
            throw fail(error)
        }
        guard source.shown != target.shown else { throw fail("S068", "the state and the destination are the same: \(source.shown)") }
        do {
            let from = try await source.lease(command: "campaign state copy")
            guard let state = try await from.read() else {
                await from.release()
                throw DeployError("S012", "the state \(source.shown) does not exist", hint: "check --project, --state, --env and CAMPAIGN_STATE")
            }
            let to = try await target.lease(command: "campaign state copy")
            if let existing = try await to.read(), !force {
                if existing.lineage != state.lineage {
                    await to.release()
                    await from.release()
                    throw DeployError("S069", "\(target.shown) holds another state (lineage \(existing.lineage), \(existing.campaigns.count) records); nothing was copied",
                                      hint: "check the destination and --env; pass --force to overwrite it")
                }
                if existing.serial > state.serial {
                    await to.release()
                    await from.release()
                    throw DeployError("S069", "\(target.shown) holds a newer copy of this state (serial \(existing.serial) > \(state.serial)); nothing was copied",
                                      hint: "copy the other way, or pass --force to overwrite it")
                }
                // Two copies of one lineage change apart once copied (each has its own serial from then on): whatever
                // the serials say, a copy must not drop a record, or roll one back, that only the destination has.
                let lost = Self.lost(from: existing, keeping: state)
                if !lost.isEmpty {
                    await to.release()
                    await from.release()
                    throw DeployError("S069", "\(target.shown) has changes the copy would lose (\(lost.prefix(5).map(EngineState.shown).joined(separator: ", "))\(lost.count > 5 ? ", …" : "")); nothing was copied",
                                      hint: "copy the other way, or pass --force to overwrite it")
                }
            }
            try await to.replace(with: state)
            await to.release()
            await from.release()
            printOut("Copied the state \(source.shown) to \(target.shown): \(state.campaigns.count) records, lineage \(state.lineage).\n")
        } catch let error as DeployError {
            throw fail(error)
        }
    }
}
