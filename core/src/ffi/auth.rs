//! Where the driver's sign-in stands, pushed to the app roots so a revoked or expired sign-in
//! sends the driver back to the sign-in screen. Logic lives in [`crate::account`].

use std::sync::Arc;

use super::{Account, ChargeKit, TaskHandle};
use crate::account::AuthStatus;

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AuthState {
    SignedIn { account: Account },
    /// Never signed in on this phone, or the driver signed out.
    SignedOut,
    /// The backend refused the sign-in when the core refreshed it: it expired, or it was
    /// revoked (signed out on another device, by the operator). Show the sign-in screen,
    /// saying so.
    Revoked,
}

/// Receives the sign-in's state: the current one at once, then every change.
#[uniffi::export(with_foreign)]
pub trait AuthStateListener: Send + Sync {
    fn on_auth_state(&self, state: AuthState);
}

#[uniffi::export]
impl ChargeKit {
    /// The sign-in's state now, then every change (sign-in, sign-out, a refused refresh), until
    /// the handle is cancelled. A slow listener may skip a state, never the newest.
    pub fn observe_auth_state(&self, listener: Arc<dyn AuthStateListener>) -> Arc<TaskHandle> {
        super::flows::observe(&self.core.runtime, self.core.account.status(), auth_state, move |state| listener.on_auth_state(state))
    }
}

fn auth_state(status: &AuthStatus) -> AuthState {
    match status {
        AuthStatus::SignedIn { driver_id, email } => AuthState::SignedIn { account: Account { driver_id: driver_id.clone(), email: email.clone() } },
        AuthStatus::SignedOut => AuthState::SignedOut,
        AuthStatus::Revoked => AuthState::Revoked,
    }
}
