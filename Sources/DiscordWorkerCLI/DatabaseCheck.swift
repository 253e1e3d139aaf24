import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import Logging

/// The database part of `discord-worker check`: reachable, server version, AA's `discord`
/// migrations applied (`django_migrations` rows of app `discord`), number of linked users.
enum DatabaseCheck {
    static func run(
        configuration config: Configuration, ok: (String) -> Void, warn: (String) -> Void,
        fail: (String, String) -> Void
    ) async {
        let url: DatabaseURL
        do {
            url = try DatabaseURL(parsing: config.databaseURL)
        } catch {
            fail("\(error)", "set DATABASE_URL as in the README (mysql://user:password@host:3306/name or sqlite:////path)")
            return
        }
        var logger = Logger(label: "discord-worker.check")
        logger.logLevel = .critical
        let database: any HostDatabase
        do {
            database = try await HostDatabaseFactory.open(url, poolSize: 1, logger: logger)
        } catch let error as HostDatabaseError {
            fail("\(error.context)" + (error.underlying.map { " (\($0))" } ?? ""), fix(for: error))
            return
        } catch {
            fail("DATABASE_URL \(url): \(error)", "check DATABASE_URL")
            return
        }
        do {
            let linked = try await database.linkedUsers(pks: nil).count
            if let maria = database as? MariaDBHostDatabase {
                let version = try await maria.serverVersion()
                ok("DATABASE_URL \(url) reachable: server \(version)")
                let migrations = try await maria.appliedMigrations(app: "discord")
                if migrations.isEmpty {
                    fail("Alliance Auth's discord migrations are not applied (no django_migrations rows for app 'discord')",
                         "add 'allianceauth.services.modules.discord' to INSTALLED_APPS and run Alliance Auth's migrations (python manage.py migrate)")
                } else {
                    ok("Alliance Auth's discord migrations applied: \(migrations.count) (last \(migrations.last ?? ""))")
                }
            } else {
                ok("DATABASE_URL \(url) opened (SQLite)")
            }
            if linked == 0 {
                warn("no users are linked to Discord yet (discord_discorduser is empty)")
            } else {
                ok("\(linked) users linked to Discord")
            }
        } catch {
            fail("DATABASE_URL \(url): \(error)", (error as? HostDatabaseError).map(fix(for:)) ?? "check DATABASE_URL")
        }
        await database.close()
    }

    static func fix(for error: HostDatabaseError) -> String {
        switch error.code {
        case .accessDenied: return "check the user and password in DATABASE_URL, and GRANT SELECT, INSERT, UPDATE, DELETE on AA's database to it"
        case .databaseNotFound: return "check the database name in DATABASE_URL (AA's DATABASES['default']['NAME'])"
        case .schemaMismatch: return "run Alliance Auth's migrations (python manage.py migrate)"
        case .unavailable, .busy: return "start the database server, or check host, port and socket in DATABASE_URL"
        default: return "check DATABASE_URL"
        }
    }
}
