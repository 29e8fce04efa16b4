//! Answers that carry tokens must not be kept by a cache on the way or in the client: RFC 6749
//! §5.1 asks for `Cache-Control: no-store` and `Pragma: no-cache` on them.

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::response::{IntoResponse, Response};

/// A response with tokens in it, marked as not to be stored.
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response.headers_mut().insert(PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}
