//! Serving the browser app from the trunk build (`dist/`), with the security headers
//! every response carries.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Slack's avatar hosts, the only third-party images the app shows.
const AVATAR_HOSTS: &str = "https://avatars.slack-edge.com https://secure.gravatar.com https://a.slack-edge.com https://ca.slack-edge.com";

/// The built browser app: its directory, `index.html`, and the CSP that allows exactly
/// its scripts.
#[derive(Debug, Clone)]
pub struct WebApp {
    dist: PathBuf,
    index_html: String,
    csp: String,
}

/// Why the browser app could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error(
    "the browser app is not built: {path} is missing ({source}); run `cargo xtask demo` or `trunk build --release`"
)]
pub struct MissingBundle {
    path: String,
    source: std::io::Error,
}

impl WebApp {
    /// Loads `dist/index.html` and derives the CSP from its inline scripts.
    pub fn load(dist: &Path) -> Result<Self, MissingBundle> {
        let index = dist.join("index.html");
        let index_html = std::fs::read_to_string(&index).map_err(|source| MissingBundle {
            path: index.display().to_string(),
            source,
        })?;
        let csp = content_security_policy(&index_html);
        Ok(Self {
            dist: dist.to_path_buf(),
            index_html,
            csp,
        })
    }

    /// The Content-Security-Policy sent with every response.
    pub fn csp(&self) -> &str {
        &self.csp
    }

    /// Serves the app: files from `dist/`, and `index.html` for the app's own routes.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let app = self.clone();
        Router::new().fallback(move |request: Request| {
            let app = app.clone();
            async move { app.serve(request).await }
        })
    }

    async fn serve(&self, request: Request) -> Response {
        let path = request.uri().path().to_string();
        let last = path.rsplit('/').next().unwrap_or_default();
        // App routes (`/`, `/users/W123`) have no file extension: they get index.html.
        if !last.contains('.') || path == "/index.html" {
            return self.index();
        }
        // `FILE.br` / `FILE.gz` beside a file (written by `cargo xtask build`) go to browsers
        // that accept them; without them the file goes as it is.
        let files = ServeDir::new(&self.dist)
            .precompressed_br()
            .precompressed_gzip();
        match files.oneshot(request).await {
            Ok(response) if response.status() == StatusCode::OK => {
                let mut response = response.map(Body::new);
                // File names carry a content hash (Trunk's filehash), except the favicon.
                let cache = if is_hashed(last) {
                    "public, max-age=31536000, immutable"
                } else {
                    "public, max-age=3600"
                };
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                response
            }
            Ok(response) if response.status() == StatusCode::NOT_MODIFIED => {
                response.map(Body::new)
            }
            _ => (StatusCode::NOT_FOUND, "Not found").into_response(),
        }
    }

    fn index(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            self.index_html.clone(),
        )
            .into_response()
    }
}

/// Whether a file name carries a content hash (`app-0123456789abcdef.js`, and the split
/// pages' `split_audit-0123456789abcdef.wasm`). Trunk writes its 64-bit hash without leading
/// zeros, so 13 to 16 hex digits count (a shorter one, 1 in 4,096 builds, is merely cached
/// for an hour).
fn is_hashed(file: &str) -> bool {
    let stem = file.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        (13..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// A strict CSP: only our own files, plus the SHA-256 of each inline script Trunk writes
/// into index.html (its module loader), and wasm compilation.
fn content_security_policy(index_html: &str) -> String {
    let hashes: Vec<String> = inline_scripts(index_html)
        .map(|body| {
            format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(body.as_bytes()))
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}{}; style-src 'self'; \
         img-src 'self' data: {AVATAR_HOSTS}; connect-src 'self'; font-src 'self'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        if hashes.is_empty() { "" } else { " " },
        hashes.join(" ")
    )
}

/// The bodies of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let open_end = start + rest[start..].find('>')? + 1;
            let tag = &rest[start..open_end];
            let close = open_end + rest[open_end..].find("</script>")?;
            let body = &rest[open_end..close];
            rest = &rest[close + "</script>".len()..];
            if !tag.contains("src=") {
                return Some(body);
            }
        }
    })
}

/// The CSP when no browser app is served.
pub const API_ONLY_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The headers every response carries, API and app alike; `hsts` when served over HTTPS.
pub fn security_headers<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    csp: &str,
    hsts: bool,
) -> Router<S> {
    let router = if hsts {
        router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
    } else {
        router
    };
    let headers: [(HeaderName, HeaderValue); 6] = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(csp).expect("the CSP is ASCII"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ),
    ];
    headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_exactly_the_inline_loader() {
        let html = r#"<head><script type="module">import init from '/a.js';
await init();</script><script src="/b.js"></script></head>"#;
        let bodies: Vec<_> = inline_scripts(html).collect();
        assert_eq!(bodies, ["import init from '/a.js';\nawait init();"]);
        let csp = content_security_policy(html);
        let expected = STANDARD.encode(Sha256::digest(bodies[0].as_bytes()));
        assert!(csp.contains(&format!("'sha256-{expected}'")), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[tokio::test]
    async fn serves_a_precompressed_copy_to_browsers_that_accept_it() {
        let dist = tempfile::tempdir().unwrap();
        std::fs::write(dist.path().join("index.html"), "<html></html>").unwrap();
        let name = "app-0123456789abcdef_bg.wasm";
        std::fs::write(dist.path().join(name), b"raw bytes").unwrap();
        std::fs::write(dist.path().join(format!("{name}.br")), b"br").unwrap();
        let app = WebApp::load(dist.path()).unwrap();
        let get = |encoding: Option<&'static str>| {
            let mut request = Request::get(format!("/{name}"));
            if let Some(e) = encoding {
                request = request.header(header::ACCEPT_ENCODING, e);
            }
            let request = request.body(Body::empty()).unwrap();
            let app = app.clone();
            async move {
                let response = app.serve(request).await;
                let encoding = response
                    .headers()
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap().to_string());
                let cache = response.headers()[header::CACHE_CONTROL].clone();
                let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .unwrap();
                (encoding, cache, body)
            }
        };
        let (encoding, cache, body) = get(Some("gzip, deflate, br")).await;
        assert_eq!(encoding.as_deref(), Some("br"));
        assert_eq!(&body[..], b"br");
        assert_eq!(cache, "public, max-age=31536000, immutable");
        // No gzip copy and no brotli accepted: the file itself.
        let (encoding, _, body) = get(Some("gzip")).await;
        assert_eq!(encoding, None);
        assert_eq!(&body[..], b"raw bytes");
        let (encoding, _, body) = get(None).await;
        assert_eq!(encoding, None);
        assert_eq!(&body[..], b"raw bytes");
    }

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed("roster-frontend-3c2ae98c787e6ac7.js"));
        assert!(is_hashed("roster-frontend-3c2ae98c787e6ac7_bg.wasm"));
        assert!(is_hashed("roster-edde908f2a7a00b5.css"));
        assert!(!is_hashed("favicon.svg"));
        assert!(is_hashed("roster-frontend-f2524c526b942e0.js"));
        assert!(is_hashed("chunk_12-71ff63cae0a6f82e.wasm"));
        assert!(is_hashed("roster-pages-71ff63cae0a6f82e.js"));
        assert!(!is_hashed("roster-frontend-latest.js"));
        assert!(!is_hashed("deadbeef.js"));
    }
}
