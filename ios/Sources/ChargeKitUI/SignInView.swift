#if canImport(SwiftUI)
import ChargeKitModels
import SwiftUI

/// Sign in, or make an account. Draws ``SignInModel``.
public struct SignInView: View {
    @Bindable var model: SignInModel

    public init(model: SignInModel) {
        self.model = model
    }

    public var body: some View {
        Form {
            Section {
                TextField("Email", text: $model.email)
                    .autocorrectionDisabled()
                    #if os(iOS)
                    .textContentType(.username)
                    .keyboardType(.emailAddress)
                    .textInputAutocapitalization(.never)
                    #endif
                SecureField("Password", text: $model.password)
                    #if os(iOS)
                    .textContentType(.password)
                    #endif
            }
            if model.state == .revoked {
                Section {
                    Label("You were signed out: your sign-in expired or was ended on another device. Please sign in again.", systemImage: "person.crop.circle.badge.exclamationmark")
                }
            }
            if case .failed(let message) = model.state {
                Section { Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.red) }
            }
            Section {
                Button("Sign in") { Task { await model.signIn() } }
                Button("Create an account") { Task { await model.signUp() } }
            }
            .disabled(model.state == .working)
        }
        .navigationTitle("ChargeKit")
    }
}
#endif
