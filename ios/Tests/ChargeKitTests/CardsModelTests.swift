import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// Cards and contracts through the Swift API and `CardsModel`, against the real core and server.
///
/// The contract tests use `Fixtures/`: a test Plug & Charge PKI — an MO root ("ChargeKit Test MO
/// Root"), a sub-CA, a contract certificate for EMAID `DE8AA001234567` (all ECDSA P-256 with
/// SHA-256, valid 2020–2120), a contract that expired in 2021, and another MO's root. Only the
/// certificates are kept; their private keys were discarded when they were made (Python's
/// `cryptography`, once). Swift on Linux has no ECDSA signing without another dependency, so
/// the chain is not built here on the fly as the Kotlin tests do.
@MainActor
@Suite struct CardsModelTests {
    let formats = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)

    @Test func cardsFromBytesAndFromTextAreListedBlockedAndRemoved() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("cards")
        _ = try await client.signUp(email: "cards@example.com", password: TestBackend.password)

        // The core reads UIDs; the shell does not decode them.
        #expect(try client.cardIDTag(uid: Data([0x04, 0xA2, 0x2B, 0x1A])) == "04A22B1A")
        #expect(try client.cardIDTag(printed: "04:a2:2b:1a") == "04A22B1A")
        let short = thrownFailure { () throws(ChargeKitFailure) in try client.cardIDTag(uid: Data([1, 2])) }
        #expect(short?.kind == .invalidInput)
        #expect(short?.message.contains("4, 7, 8 or 10 bytes") == true, "\(String(describing: short))")

        let tapped = try await client.registerCard(uid: Data([0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]), label: "Work card")
        #expect(tapped.idTag == "04112233445566")
        #expect(tapped.kind == .rfid)
        #expect(tapped.label == "Work card")
        #expect(!tapped.blocked)
        let typed = try await client.registerCard(printedUID: "de-ad-be-ef")
        #expect(typed.idTag == "DEADBEEF")
        #expect(Set(try await client.tokens().filter { $0.kind == .rfid }.map(\.idTag)) == ["04112233445566", "DEADBEEF"])

        #expect(try await client.setToken("DEADBEEF", blocked: true).blocked)
        #expect(try await client.tokens().first { $0.idTag == "DEADBEEF" }?.blocked == true)
        #expect(try await !client.setToken("DEADBEEF", blocked: false).blocked)
        try await client.removeToken("DEADBEEF")
        #expect(try await client.tokens().filter { $0.kind == .rfid }.map(\.idTag) == ["04112233445566"])
    }

    @Test func aContractIsCheckedAgainstTheMORootBeforeItIsRegistered() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("contracts")
        _ = try await client.signUp(email: "contracts@example.com", password: TestBackend.password)
        let contract = try Self.fixture("contract.pem")
        let (root, rootDER, otherRoot, expiredContract) = try (
            Self.fixture("mo-root.pem"), Self.fixture("mo-root.der"), Self.fixture("other-root.pem"), Self.fixture("expired-contract.pem")
        )

        let untrusted = await thrownFailure { () async throws(ChargeKitFailure) in
            try await client.registerContract(certificate: contract, moRoot: otherRoot)
        }
        #expect(untrusted == ChargeKitFailure(kind: .invalidInput, message: "This contract was not issued under your mobility operator's root certificate."))
        let notACertificate = await thrownFailure { () async throws(ChargeKitFailure) in
            try await client.registerContract(certificate: Data("not a certificate".utf8), moRoot: root)
        }
        #expect(notACertificate?.message == "This file is not a contract certificate (a PEM or DER X.509 certificate).")
        let expired = await thrownFailure { () async throws(ChargeKitFailure) in
            try await client.registerContract(certificate: expiredContract, moRoot: root)
        }
        #expect(expired?.kind == .invalidInput)
        #expect(expired?.message.contains("expired") == true, "\(String(describing: expired))")
        #expect(try await client.tokens().allSatisfy { $0.kind != .contract })

        // The right root, as DER this time: checked, registered, listed with its end of validity.
        let checked = try client.readContract(certificate: contract, moRoot: rootDER)
        let registered = try await client.registerContract(certificate: contract, moRoot: rootDER, label: "My car")
        #expect(registered == checked)
        #expect(registered.emaid.hasPrefix("DE8AA001234567"))
        #expect(registered.issuer == "ChargeKit Test MO Sub-CA")
        let listed = try #require(try await client.tokens().first { $0.kind == .contract })
        #expect(listed.idTag == registered.emaid)
        #expect(listed.expiresAt == registered.notAfterEpochSeconds)
        #expect(listed.label == "My car")
    }

    @Test func theModelAddsTappedAndTypedCardsAndSaysWhyAContractIsRefused() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("cards-model")
        _ = try await client.signUp(email: "cards-model@example.com", password: TestBackend.password)
        let model = CardsModel(client: client)
        #expect(model.screen.status == .loading)
        await model.refresh()
        #expect(model.screen.status == .loaded)
        #expect(model.screen.cards.isEmpty && model.screen.contracts.isEmpty, "the app's own token is not listed")

        // A tap shows the card's idTag (read by the core) for the driver to confirm.
        model.cardTapped(uid: Data([0x04, 0x01, 0x02, 0x03]))
        #expect(model.screen.pendingCard?.idTag == "04010203")
        model.typedLabel = "  Spare  "
        await model.addTappedCard()
        #expect(model.screen.notice == .cardAdded(idTag: "04010203"))
        #expect(model.screen.pendingCard == nil)
        #expect(model.screen.cards.map(\.label) == ["Spare"])
        #expect(model.typedLabel.isEmpty)
        #expect(!model.screen.busy)

        // A UID of an impossible length: the core's sentence, nothing pending.
        model.cardTapped(uid: Data([1, 2, 3]))
        guard case .failed(let message) = model.screen.notice else {
            Issue.record("expected a failure, got \(String(describing: model.screen.notice))")
            return
        }
        #expect(message.contains("4, 7, 8 or 10 bytes"))

        model.typedUID = "0A 0B 0C 0D"
        await model.addTypedCard()
        #expect(model.screen.cards.map(\.idTag).sorted() == ["04010203", "0A0B0C0D"])
        #expect(model.typedUID.isEmpty)

        await model.setBlocked("0A0B0C0D", true)
        #expect(model.screen.notice == .blocked(idTag: "0A0B0C0D"))
        #expect(model.screen.cards.first { $0.idTag == "0A0B0C0D" }?.blocked == true)
        await model.remove("0A0B0C0D")
        #expect(model.screen.notice == .removed(idTag: "0A0B0C0D"))
        #expect(model.screen.cards.map(\.idTag) == ["04010203"])

        model.typedLabel = "Car"
        await model.addContract(certificate: try Self.fixture("contract.pem"), moRoot: try Self.fixture("other-root.pem"))
        #expect(model.screen.notice == .failed(message: "This contract was not issued under your mobility operator's root certificate."))
        #expect(model.screen.contracts.isEmpty)
        #expect(model.typedLabel == "Car", "the name stays after a refusal")

        await model.addContract(certificate: try Self.fixture("contract.pem"), moRoot: try Self.fixture("mo-root.pem"))
        guard case .contractAdded(let emaid, let issuer, let validUntil) = model.screen.notice else {
            Issue.record("expected the contract added, got \(String(describing: model.screen.notice))")
            return
        }
        #expect(issuer == "ChargeKit Test MO Sub-CA")
        #expect(formats.date(unixSeconds: validUntil) == "Jan 1, 2120")
        let contract = try #require(model.screen.contracts.first)
        #expect(model.screen.contracts.count == 1)
        #expect(contract.idTag == emaid && contract.label == "Car" && !contract.blocked && contract.validUntil == validUntil)
        model.dismissNotice()
        #expect(model.screen.notice == nil)
    }

    @Test func theModelSaysWhyTheListCannotBeLoaded() async throws {
        let model = CardsModel(client: try ErrorMappingTests.offlineClient())
        await model.refresh()
        guard case .unavailable(let message) = model.screen.status else {
            Issue.record("expected unavailable, got \(model.screen.status)")
            return
        }
        #expect(!message.isEmpty)
    }

    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
        return try Data(contentsOf: url)
    }
}

/// What `call` failed with; nil when it succeeded.
func thrownFailure<T>(_ call: () throws(ChargeKitFailure) -> T) -> ChargeKitFailure? {
    do {
        _ = try call()
        return nil
    } catch {
        return error
    }
}

func thrownFailure<T: Sendable>(isolation: isolated (any Actor)? = #isolation, _ call: () async throws(ChargeKitFailure) -> T) async -> ChargeKitFailure? {
    do {
        _ = try await call()
        return nil
    } catch {
        return error
    }
}
