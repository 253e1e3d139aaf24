@testable import DiscordWorkerCLI
import Foundation
import Testing

@Suite("Env files as shells and python-dotenv read them")
struct EnvFileTests {
    func parse(_ text: String) throws -> [String: String] { try EnvFile(parsing: text).values }

    @Test func windowsLineEndingsQuotesExportAndComments() throws {
        let text = "# AA settings\r\nexport DISCORD_GUILD_ID=123\r\n\r\nDISCORD_BOT_TOKEN=\"abc.def\"\r\n"
            + "DISCORD_APP_SECRET='s3cr3t' # a comment\r\nDISCORD_SYNC_NAMES = True   # trailing comment\r\nEMPTY=\r\nHASH=a#b\r\n"
        let v = try parse(text)
        #expect(v == ["DISCORD_GUILD_ID": "123", "DISCORD_BOT_TOKEN": "abc.def", "DISCORD_APP_SECRET": "s3cr3t",
                      "DISCORD_SYNC_NAMES": "True", "EMPTY": "", "HASH": "a#b"])
        #expect(try parse("A=1\rB=2\r") == ["A": "1", "B": "2"], "old Mac line endings")
    }

    @Test func doubleQuotesDecodePythonDotenvEscapes() throws {
        #expect(try parse(#"A="line1\nline2\t\"q\" \\ \x41\u00e9""#)["A"] == "line1\nline2\t\"q\" \\ Aé")
        #expect(try parse(#"A='no \n escapes \' here'"#)["A"] == #"no \n escapes ' here"#)
        #expect(try parse("A=\"two\r\nlines\"\r\nB=x")  == ["A": "two\nlines", "B": "x"])
        #expect(try parse(#"A="unknown \d stays""#)["A"] == #"unknown \d stays"#)
    }

    @Test func errorsNameTheLineNeverItsText() {
        for (text, line) in [("A=1\r\nnot a setting with secret-value\r\n", 2), ("A=\"open secret-value\nB=2", 1),
                             ("A='x' secret-value", 1), ("1A=secret-value", 1)] {
            #expect(throws: EnvFile.ParseError.self) { try parse(text) }
            do { _ = try EnvFile(parsing: text) } catch {
                #expect(error.line == line, "\(text.debugDescription): \(error)")
                #expect(!error.problem.contains("secret-value"))
            }
        }
    }

    @Test func secretsAreRedactedFromEveryConfigurationError() {
        let env = ["DISCORD_BOT_TOKEN": "Bot tok.en-value", "DISCORD_APP_SECRET": "app-secret-value",
                   "BROKER_URL": "redis://user:broker%40pass@host:x/0", "CACHE_URL": "redis://cachepass@host/1",
                   "DATABASE_URL": "mysql://aa:dbpass@db/aa", "CELERY_RESULT_BACKEND": "redis://h/0?password=resultpass"]
        let secrets = Configuration.secretValues(in: env)
        let text = Configuration.redacting(secrets, in: "tok.en-value app-secret-value broker@pass broker%40pass cachepass dbpass resultpass")
        #expect(text == "*** *** *** *** *** *** ***")
        do { _ = try Configuration(environment: env); Issue.record("BROKER_URL has a bad port") } catch {
            #expect(error.variable == "BROKER_URL" && !error.description.contains("broker%40pass") && !error.description.contains("broker@pass"))
        }
    }
}
