//! The KPI dashboard, `GET /dashboard`: one page people look at, served by the hub
//! itself. It signs in with the `login` mutation, reads `kpiCatalogue` and `kpi` over
//! `POST /graphql` as the signed-in caller (the same figures, reach and suppression as
//! the API), and draws tiles, a trend and a store ranking as hand-drawn SVG.
//!
//! Nothing comes from elsewhere: the page, its script, its styles and its icon are files
//! of the binary (`src/dashboard/`), and the Content-Security-Policy allows this origin
//! alone — no inline script, no inline style, no external font.
//!
//! Only the exact paths below are routed: any other path under `/dashboard` gets the
//! hub's JSON `NOT_FOUND`, and a method other than GET/HEAD the hub's JSON
//! `METHOD_NOT_ALLOWED`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Router};

use crate::http::{AppState, RequestId, json_error};

/// Where the page is served.
pub const PAGE_PATH: &str = "/dashboard";

/// One file of the dashboard.
struct File {
    path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const FILES: &[File] = &[
    File { path: PAGE_PATH, content_type: "text/html; charset=utf-8", body: include_str!("page.html") },
    File { path: "/dashboard/app.js", content_type: "text/javascript; charset=utf-8", body: include_str!("app.js") },
    File { path: "/dashboard/app.css", content_type: "text/css; charset=utf-8", body: include_str!("app.css") },
    File { path: "/dashboard/icon.svg", content_type: "image/svg+xml", body: include_str!("icon.svg") },
];

/// Everything the page may load or call: this origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn serve(file: &'static File) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(file.content_type)),
            // The files change with the binary: always revalidated.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        ],
        file.body,
    )
        .into_response()
}

async fn method_not_allowed(id: Option<Extension<RequestId>>, _headers: HeaderMap) -> Response {
    let request_id = id.map(|Extension(id)| id.0).unwrap_or_default();
    let mut response =
        json_error(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", "the dashboard is read with GET", &request_id);
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

fn route(file: &'static File) -> MethodRouter<AppState> {
    get(move || async move { serve(file) }).fallback(method_not_allowed)
}

/// The dashboard's routes: the page and its files (GET and HEAD), exact paths only.
pub fn routes() -> Router<AppState> {
    FILES.iter().fold(Router::new(), |router, file| router.route(file.path, route(file)))
}

/// The URL paths the dashboard serves (for tests and checks).
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|f| f.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_only_served_files_and_nothing_outside() {
        let page = FILES.iter().find(|f| f.path == PAGE_PATH).map(|f| f.body).unwrap_or_default();
        for attr in ["src=\"", "href=\""] {
            for (_, rest) in page.match_indices(attr).map(|(i, _)| page.split_at(i + attr.len())) {
                let url = rest.split('"').next().unwrap_or_default();
                assert!(paths().any(|p| p == url), "{url} is not served");
            }
        }
        for file in FILES {
            // The SVG namespace is a name, not something loaded.
            let body = file.body.replace("http://www.w3.org/2000/svg", "");
            assert!(!body.contains("http://") && !body.contains("https://"), "external URL in {}", file.path);
        }
        assert!(!page.contains("<script>") && !page.contains(" style="), "inline script or style in the page");
    }
}
