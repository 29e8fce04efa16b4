//! Every error of the API is `{"code", "message"}` JSON. Handlers answer with [`AppError`];
//! what axum's extractors refuse before a handler runs (a body that does not parse or has an
//! unknown field, a query or path parameter of the wrong type, a wrong content type, an unknown
//! route or method) comes back as plain text, and is rewritten here into the same shape, with
//! the extractor's sentence, which names the field.

use axum::body::to_bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chargekit_model::api::ApiErrorCode;

use crate::error::AppError;

/// Longest rejection text kept (axum's are one sentence).
const MAX_REJECTION_BYTES: usize = 4 * 1024;

pub async fn as_json(response: Response) -> Response {
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let is_stream = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    if !(status.is_client_error() || status.is_server_error()) || is_json || is_stream {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, MAX_REJECTION_BYTES).await.map(|b| String::from_utf8_lossy(&b).trim().to_owned()).unwrap_or_default();
    let message = sentence(status, &text);
    let mut rewritten = AppError::new(status, code_of(status), message).into_response();
    // Keep what the original said about the response (Allow, Retry-After), not its body type.
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

fn code_of(status: StatusCode) -> ApiErrorCode {
    match status {
        StatusCode::UNAUTHORIZED => ApiErrorCode::Unauthorized,
        StatusCode::NOT_FOUND => ApiErrorCode::NotFound,
        StatusCode::CONFLICT => ApiErrorCode::Conflict,
        StatusCode::TOO_MANY_REQUESTS => ApiErrorCode::RateLimited,
        s if s.is_server_error() => ApiErrorCode::Internal,
        _ => ApiErrorCode::InvalidInput,
    }
}

fn sentence(status: StatusCode, text: &str) -> String {
    match status {
        StatusCode::NOT_FOUND if text.is_empty() => "No such endpoint. The API is described at /openapi.json.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "This endpoint does not take that method; the Allow header lists the ones it takes.".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as JSON, with Content-Type: application/json.".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.".to_owned(),
        _ if text.is_empty() => status.canonical_reason().unwrap_or("The request was refused.").to_owned(),
        _ => {
            let mut text = text.to_owned();
            if !text.ends_with('.') {
                text.push('.');
            }
            text
        }
    }
}
