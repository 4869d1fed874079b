//! The documentation pages' front-end bundles, embedded in the binary.
//!
//! Both come from their npm packages, pinned by version and integrity in this
//! crate's build script, so the docs site needs no network at run time:
//!
//! ```
//! assert!(callback_docs_assets::SWAGGER_UI_BUNDLE_JS.len() > 100_000);
//! assert!(!std::str::from_utf8(callback_docs_assets::REDOC_STANDALONE_JS)
//!     .unwrap()
//!     .contains("https://cdn.redoc.ly"));
//! ```

/// `swagger-ui-bundle.js` of the npm package `swagger-ui-dist`.
pub static SWAGGER_UI_BUNDLE_JS: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui-bundle.js"));

/// `swagger-ui.css` of the npm package `swagger-ui-dist`.
pub static SWAGGER_UI_CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui.css"));

/// `bundles/redoc.standalone.js` of the npm package `redoc`, with its one
/// CDN-hosted image replaced by an inline one.
pub static REDOC_STANDALONE_JS: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/redoc.standalone.js"));

/// Version of the embedded Swagger UI.
pub const SWAGGER_UI_VERSION: &str = env!("SWAGGER_UI_DIST_VERSION");

/// Version of the embedded ReDoc.
pub const REDOC_VERSION: &str = env!("REDOC_VERSION");
