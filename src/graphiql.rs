//! GraphiQL served from the binary: the page and its assets (GraphiQL, React, React DOM,
//! their licences), so the IDE works on a machine without internet. The vendored files
//! and where they come from are in `src/graphiql/README.md`.
//!
//! The page only talks to this hub: its Content-Security-Policy allows scripts, styles
//! and requests from the hub's own origin alone.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Where the page is served (besides `GET /graphql` without a query, see [`page`]).
pub const PAGE_PATH: &str = "/graphiql";

/// Versions of the vendored bundles; part of their URLs, which are cached for a year.
pub const GRAPHIQL_VERSION: &str = "3.9.0";
pub const REACT_VERSION: &str = "18.3.1";

/// One file served under `/graphiql/static/`.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    /// Versioned URLs never change content: cached for a year. Others are revalidated.
    immutable: bool,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        path: "/graphiql/static/react-18.3.1.production.min.js",
        content_type: JS,
        immutable: true,
        body: include_bytes!("graphiql/react.production.min.js"),
    },
    Asset {
        path: "/graphiql/static/react-dom-18.3.1.production.min.js",
        content_type: JS,
        immutable: true,
        body: include_bytes!("graphiql/react-dom.production.min.js"),
    },
    Asset {
        path: "/graphiql/static/graphiql-3.9.0.min.js",
        content_type: JS,
        immutable: true,
        body: include_bytes!("graphiql/graphiql.min.js"),
    },
    Asset {
        path: "/graphiql/static/graphiql-3.9.0.min.css",
        content_type: CSS,
        immutable: true,
        body: include_bytes!("graphiql/graphiql.min.css"),
    },
    Asset {
        path: "/graphiql/static/hub.js",
        content_type: JS,
        immutable: false,
        body: include_bytes!("graphiql/hub.js"),
    },
    Asset {
        path: "/graphiql/static/LICENSES.txt",
        content_type: TEXT,
        immutable: false,
        body: include_bytes!("graphiql/LICENSES.txt"),
    },
];

/// The page. Scripts and styles are files (no inline script), so the policy needs no
/// `unsafe-inline` for scripts; GraphiQL sets inline styles, and its fonts and icons are
/// `data:` URLs inside its CSS.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Customer Hub · GraphiQL</title>
  <link rel="icon" href="data:,">
  <link rel="license" href="/graphiql/static/LICENSES.txt">
  <link rel="stylesheet" href="/graphiql/static/graphiql-3.9.0.min.css">
  <style>body { margin: 0; height: 100%; overflow: hidden; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/static/react-18.3.1.production.min.js"></script>
  <script src="/graphiql/static/react-dom-18.3.1.production.min.js"></script>
  <script src="/graphiql/static/graphiql-3.9.0.min.js"></script>
  <script src="/graphiql/static/hub.js"></script>
</body>
</html>
"#;

/// Everything the page may load or call: this origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The GraphiQL page, as answered at [`PAGE_PATH`] and, in development, by `GET /graphql`
/// without a query.
pub fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        ],
        PAGE,
    )
        .into_response()
}

fn asset(asset: &'static Asset) -> Response {
    let cache = if asset.immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        asset.body,
    )
        .into_response()
}

/// The page at [`PAGE_PATH`] and its assets under `/graphiql/static/` (GET and HEAD).
/// Meant for development only, like GraphiQL itself.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route(PAGE_PATH, get(|| async { page() }));
    for file in ASSETS {
        router = router.route(file.path, get(move || async move { asset(file) }));
    }
    router
}

/// The URL paths of the assets (for tests and checks).
pub fn asset_paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_only_served_assets_and_versions_match() {
        for line in PAGE.lines().filter(|l| l.contains("src=") || l.contains("href=\"/")) {
            // The attribute's value: after `src="` or `href="`, whichever the line has.
            let url = line.split_once("src=\"").or_else(|| line.split_once("href=\"")).map_or("", |(_, rest)| rest);
            let url = url.split('"').next().unwrap_or_default();
            assert!(asset_paths().any(|p| p == url), "{url} is not served");
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"), "external URL in the page");
        for a in ASSETS.iter().filter(|a| a.immutable) {
            assert!(a.path.contains(GRAPHIQL_VERSION) || a.path.contains(REACT_VERSION), "{} is unversioned", a.path);
        }
    }
}
