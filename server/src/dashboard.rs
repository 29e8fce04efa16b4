//! The operator's web dashboard at `/dashboard/`: static files compiled into the binary
//! (`server/static/`), nothing built or fetched at run time — no CDN, no framework, charts drawn
//! as SVG by the page's own script. The page signs in through `/v1/operator/sign-in` and reads the
//! JSON reports; the token lives in the tab's memory only.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::AppState;

const INDEX_HTML: &str = include_str!("../static/index.html");
const APP_JS: &str = include_str!("../static/app.js");
const ALERTS_JS: &str = include_str!("../static/alerts.js");
const MESSAGES_JS: &str = include_str!("../static/messages.js");
const STYLE_CSS: &str = include_str!("../static/style.css");
const FLEET_JS: &str = include_str!("../static/fleet.js");
const FLEET_CSS: &str = include_str!("../static/fleet.css");
const FAVICON_SVG: &str = include_str!("../static/favicon.svg");

/// Only this origin's own files and API; no inline script or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/dashboard", get(|| async { Redirect::permanent("/dashboard/") }))
        .route("/dashboard/", get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/dashboard/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/dashboard/alerts.js", get(|| async { asset("text/javascript; charset=utf-8", ALERTS_JS) }))
        .route("/dashboard/messages.js", get(|| async { asset("text/javascript; charset=utf-8", MESSAGES_JS) }))
        .route("/dashboard/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }))
        .route("/dashboard/fleet.js", get(|| async { asset("text/javascript; charset=utf-8", FLEET_JS) }))
        .route("/dashboard/fleet.css", get(|| async { asset("text/css; charset=utf-8", FLEET_CSS) }))
        .route("/dashboard/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON_SVG) }))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // The files change only with the binary; revalidating is cheap and avoids a stale script.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
