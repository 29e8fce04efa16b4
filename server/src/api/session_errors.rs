//! How the session service's failures read over HTTP: one status, code and sentence per
//! [`SessionError`], the contract `/openapi.json` describes for the session endpoints.

use crate::error::AppError;
use crate::sessions::{Command, SessionError};

impl From<SessionError> for AppError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::UnknownEvse(evse_id) => {
                AppError::not_found(format!("No charger has the EVSE ID {evse_id}. Check the ID on the charger's label."))
            }
            SessionError::ConnectorBusy(evse_id) => AppError::conflict(format!("The charger {evse_id} is already in use.")),
            SessionError::ChargerOffline(evse_id) => AppError::charger_offline(&evse_id),
            SessionError::ChargerRefused { command: Command::Start, .. } => {
                AppError::charger_rejected("The charger refused to start charging. Try again or use another charger.")
            }
            SessionError::ChargerRefused { command: Command::Stop, .. } => {
                AppError::charger_rejected("The charger refused to stop. Stop it at the charger or unplug the car.")
            }
            SessionError::ChargerFailed { evse_id, command } => {
                AppError::charger_rejected(format!("The charger {evse_id} could not {command} charging."))
            }
            SessionError::Timeout { evse_id, command } => {
                AppError::charger_timeout(format!("The charger {evse_id} did not answer the {command} request in time. Please try again."))
            }
            // The same answer for both, so a session's existence does not leak to other drivers.
            SessionError::UnknownSession | SessionError::NotYours => AppError::not_found("No such session."),
            SessionError::KeyReused => AppError::conflict(
                "This Idempotency-Key was used for another start (another EVSE or payment choice). Use a new key for a new start.",
            ),
            SessionError::NotUnderReview => AppError::conflict("This session is not held for review."),
            SessionError::Payment(refusal) => refusal,
            SessionError::Storage(e) => AppError::internal(e),
            SessionError::Inconsistent(what) => AppError::internal(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use chargekit_model::api::ApiErrorCode;
    use chargekit_model::EvseId;

    use super::*;

    fn answer(error: SessionError) -> (StatusCode, ApiErrorCode, String) {
        let error = AppError::from(error);
        (error.status, error.code, error.message)
    }

    fn evse() -> EvseId {
        EvseId::parse("DE*ABC*E123456*1").unwrap()
    }

    #[test]
    fn what_the_driver_asked_for_that_cannot_be() {
        assert_eq!(
            answer(SessionError::UnknownEvse(evse())),
            (StatusCode::NOT_FOUND, ApiErrorCode::NotFound, "No charger has the EVSE ID DE*ABC*E123456*1. Check the ID on the charger's label.".to_owned())
        );
        assert_eq!(
            answer(SessionError::ConnectorBusy(evse())),
            (StatusCode::CONFLICT, ApiErrorCode::Conflict, "The charger DE*ABC*E123456*1 is already in use.".to_owned())
        );
        assert_eq!(
            answer(SessionError::KeyReused),
            (
                StatusCode::CONFLICT,
                ApiErrorCode::Conflict,
                "This Idempotency-Key was used for another start (another EVSE or payment choice). Use a new key for a new start.".to_owned()
            )
        );
        assert_eq!(
            answer(SessionError::NotUnderReview),
            (StatusCode::CONFLICT, ApiErrorCode::Conflict, "This session is not held for review.".to_owned())
        );
    }

    #[test]
    fn another_drivers_session_reads_like_no_session() {
        let unknown = answer(SessionError::UnknownSession);
        assert_eq!(unknown, (StatusCode::NOT_FOUND, ApiErrorCode::NotFound, "No such session.".to_owned()));
        assert_eq!(answer(SessionError::NotYours), unknown);
    }

    #[test]
    fn what_the_charger_did_names_the_command() {
        let evse_id = "DE*ABC*E123456*1".to_owned();
        assert_eq!(
            answer(SessionError::ChargerOffline(evse_id.clone())),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                ApiErrorCode::ChargerOffline,
                "The charger DE*ABC*E123456*1 is offline right now. Try another charger or try again later.".to_owned()
            )
        );
        assert_eq!(
            answer(SessionError::ChargerRefused { evse_id: evse_id.clone(), command: Command::Start }),
            (StatusCode::CONFLICT, ApiErrorCode::ChargerRejected, "The charger refused to start charging. Try again or use another charger.".to_owned())
        );
        assert_eq!(
            answer(SessionError::ChargerRefused { evse_id: evse_id.clone(), command: Command::Stop }),
            (StatusCode::CONFLICT, ApiErrorCode::ChargerRejected, "The charger refused to stop. Stop it at the charger or unplug the car.".to_owned())
        );
        assert_eq!(
            answer(SessionError::ChargerFailed { evse_id: evse_id.clone(), command: Command::Stop }),
            (StatusCode::CONFLICT, ApiErrorCode::ChargerRejected, "The charger DE*ABC*E123456*1 could not stop charging.".to_owned())
        );
        assert_eq!(
            answer(SessionError::Timeout { evse_id, command: Command::Start }),
            (
                StatusCode::GATEWAY_TIMEOUT,
                ApiErrorCode::ChargerTimeout,
                "The charger DE*ABC*E123456*1 did not answer the start request in time. Please try again.".to_owned()
            )
        );
    }

    #[test]
    fn a_payment_refusal_is_answered_as_the_payments_service_put_it() {
        let refusal = AppError::new(StatusCode::PAYMENT_REQUIRED, ApiErrorCode::PaymentRefused, "Your card was not accepted.");
        assert_eq!(
            answer(SessionError::Payment(refusal)),
            (StatusCode::PAYMENT_REQUIRED, ApiErrorCode::PaymentRefused, "Your card was not accepted.".to_owned())
        );
    }

    #[test]
    fn internal_failures_say_nothing_of_their_cause() {
        let generic = (StatusCode::INTERNAL_SERVER_ERROR, ApiErrorCode::Internal, "Something went wrong on our side. Please try again.".to_owned());
        assert_eq!(answer(SessionError::Storage(sqlx::Error::PoolTimedOut)), generic);
        assert_eq!(answer(SessionError::Inconsistent("new session vanished".to_owned())), generic);
    }

    #[tokio::test]
    async fn the_body_is_the_api_error_json() {
        let response = AppError::from(SessionError::ConnectorBusy(evse())).into_response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json, serde_json::json!({"code": "conflict", "message": "The charger DE*ABC*E123456*1 is already in use."}));
    }
}
