import ChargeKit
import ChargeKitModels
import ChargeKitUI
import SwiftUI

/// Sign-in until the driver is signed in; then a tab to charge, a tab for history, and a tab
/// for the wallet and the driver's cards and contracts. Each screen's model is made when its
/// screen is pushed. The core's auth-state stream decides which: a sign-in that ends anywhere
/// (signed out, or revoked by the backend when the core refreshed it) leads back to sign-in.
struct RootView: View {
    let client: any ChargeKitClient
    @State private var signIn: SignInModel
    @State private var signedIn: Bool

    init(client: any ChargeKitClient) {
        self.client = client
        _signIn = State(initialValue: SignInModel(client: client))
        _signedIn = State(initialValue: client.account != nil)
    }

    var body: some View {
        content.task {
            for await state in client.authStates {
                // The sign-in screen says why it is shown when the backend ended the sign-in.
                signIn.authStateChanged(state)
                if case .signedIn = state { signedIn = true } else { signedIn = false }
            }
        }
    }

    @ViewBuilder private var content: some View {
        if signedIn {
            TabView {
                ChargeTab(client: client)
                    .tabItem { Label("Charge", systemImage: "bolt.car") }
                HistoryTab(client: client)
                    .tabItem { Label("History", systemImage: "clock") }
                AccountTab(client: client, signIn: signIn)
                    .tabItem { Label("Account", systemImage: "creditcard") }
            }
        } else {
            NavigationStack { SignInView(model: signIn) }
        }
    }
}

/// What a navigation stack can push.
enum Route: Hashable {
    case live(sessionID: String)
    case receipt(sessionID: String)
}

/// Find a charger → live session → receipt.
struct ChargeTab: View {
    let client: any ChargeKitClient
    @State private var path: [Route] = []
    @State private var find: FindChargerModel

    init(client: any ChargeKitClient) {
        self.client = client
        _find = State(initialValue: FindChargerModel(client: client))
    }

    var body: some View {
        NavigationStack(path: $path) {
            FindChargerView(model: find, onStarted: { sessionID in
                find.reset()
                path.append(.live(sessionID: sessionID))
            })
            .navigationDestination(for: Route.self) { route in
                RouteScreen(client: client, route: route, path: $path)
            }
        }
    }
}

/// History → receipt.
struct HistoryTab: View {
    let client: any ChargeKitClient
    @State private var path: [Route] = []
    @State private var history: HistoryModel

    init(client: any ChargeKitClient) {
        self.client = client
        _history = State(initialValue: HistoryModel(client: client))
    }

    var body: some View {
        NavigationStack(path: $path) {
            HistoryView(model: history) { path.append(.receipt(sessionID: $0)) }
                .navigationDestination(for: Route.self) { route in
                    RouteScreen(client: client, route: route, path: $path)
                }
        }
    }
}

/// The wallet (top-ups, payment methods) and the cards and contracts that start sessions.
struct AccountTab: View {
    let signIn: SignInModel
    @State private var wallet: WalletModel
    @State private var cards: CardsModel

    init(client: any ChargeKitClient, signIn: SignInModel) {
        self.signIn = signIn
        let currency = Bundle.main.object(forInfoDictionaryKey: "ChargeKitWalletCurrency") as? String ?? "EUR"
        _wallet = State(initialValue: WalletModel(client: client, currency: currency))
        _cards = State(initialValue: CardsModel(client: client))
    }

    var body: some View {
        NavigationStack {
            List {
                NavigationLink("Wallet") { WalletView(model: wallet) }
                NavigationLink("Cards & contracts") { CardsView(model: cards) }
                // The core forgets this driver's data off the main actor; the auth stream then shows sign-in.
                Button("Sign out", role: .destructive) { Task { await signIn.signOut() } }
            }
            .navigationTitle("Account")
        }
    }
}

/// A pushed screen, holding its model for as long as it is on the stack.
struct RouteScreen: View {
    let route: Route
    @Binding var path: [Route]
    @State private var live: LiveSessionModel?
    @State private var receipt: ReceiptModel?

    init(client: any ChargeKitClient, route: Route, path: Binding<[Route]>) {
        self.route = route
        _path = path
        switch route {
        case .live(let sessionID):
            _live = State(initialValue: LiveSessionModel(client: client, sessionID: sessionID))
        case .receipt(let sessionID):
            _receipt = State(initialValue: ReceiptModel(client: client, sessionID: sessionID))
        }
    }

    var body: some View {
        if let live {
            LiveSessionView(model: live) { path.append(.receipt(sessionID: $0)) }
        } else if let receipt {
            ReceiptView(model: receipt)
        }
    }
}
