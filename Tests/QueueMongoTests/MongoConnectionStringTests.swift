import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo

/// Connection strings are read by libmongoc when created: its reasons (and what it logged
/// while parsing) go into the error or `warnings`, never to the log on their own, and never
/// with the password.
@Suite("MongoConnectionString")
struct MongoConnectionStringTests {
    @Test(arguments: [
        ("mongodb://user:s3cret@db:99999", "Port could not be parsed"),
        ("mongodb://db,/", "Empty hostname in URI"),
        ("mongodb://%zz@db", "Invalid % escape sequence"),
        ("mongodb://db/?tls=maybe", #"Unsupported value for "tls": "maybe""#),
    ])
    func malformedStringsAreRefusedAtCreationWithLibmongocsReason(_ raw: String, _ reason: String) {
        #expect {
            try MongoConnectionString(raw)
        } throws: { error in
            guard let error = error as? MongoError else { return false }
            return error.code == .invalidURI && error.message.contains(reason) && !error.description.contains("s3cret")
        }
    }

    @Test func partsLibmongocWouldIgnoreAreReportedAsWarnings() throws {
        #expect(try Set(MongoConnectionString("mongodb://db/?foo=1&w=1&w=2").warnings)
            == [#"Unsupported URI option "foo""#, "Overwriting previously provided value for 'w'"])
        #expect(try MongoConnectionString("mongodb://db:27017/?replicaSet=rs0&w=majority").warnings.isEmpty)
    }

    @Test(arguments: [
        ("mongodb://u:s3cret@h1:1,h2:2/db?w=1", "mongodb://u:***@h1:1,h2:2/db?w=1"),
        ("mongodb://u:s3cr/et@db/x", "mongodb://u:***@db/x"),
        ("mongodb://u:s3?cr@et@db", "mongodb://u:***@db"),
        ("mongodb://:s3cret@db", "mongodb://:***@db"),
        ("mongodb://u@db:1/?appname=a", "mongodb://u@db:1/?appname=a"),
    ])
    func redactionHidesEveryPasswordEvenOneLibmongocRefuses(_ raw: String, _ redacted: String) {
        #expect(MongoConnectionString.redacting(raw) == redacted)
    }

    @Test func anErrorForAPasswordHoldingASlashDoesNotShowIt() {
        #expect {
            try MongoConnectionString("mongodb://user:pa/ss@db")
        } throws: { error in
            !"\(error)".contains("pa/ss") && !"\(error)".contains("ss@")
        }
    }

    @Test func redactedConnectionStringsHideThePassword() throws {
        #expect(try MongoConnectionString("mongodb://u:p%40ss@h1:1,h2:2/db?x=a@b").redacted == "mongodb://u:***@h1:1,h2:2/db?x=a@b")
        #expect(try MongoConnectionString("mongodb://h:1/?w=1").redacted == "mongodb://h:1/?w=1")
        #expect(throws: MongoError.self) { try MongoConnectionString("http://h") }
    }
}
