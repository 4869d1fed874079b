//! The documentation pages' front-end bundles and their license files,
//! embedded in the binary.
//!
//! The files are vendored in this crate (`vendor/`), taken from their npm
//! packages pinned by version and integrity (`vendor/PINS`), so building needs
//! nothing but cargo and the docs site needs no network at run time. Each UI
//! is a module behind a feature of the same name (all on by default), with its
//! version, its bundles, and [`Asset`]s: every file its page loads or names as
//! its license, to be served under the page's path.
//!
//! ```
//! # #[cfg(all(feature = "swagger-ui", feature = "redoc"))] {
//! use callback_docs_assets::{redoc, swagger_ui};
//!
//! assert!(swagger_ui::BUNDLE_JS.len() > 100_000);
//! // ReDoc's one CDN-hosted image is replaced by an inline one.
//! assert!(!std::str::from_utf8(redoc::STANDALONE_JS).unwrap().contains("https://cdn.redoc.ly"));
//! // The bundle's banner names its license file, which is an asset too.
//! let names: Vec<_> = redoc::ASSETS.iter().map(|asset| asset.name).collect();
//! assert!(names.contains(&"redoc.standalone.js.LICENSE.txt"));
//! # }
//! ```

/// A file of a docs page, served under the page's path (`{base}/{name}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The file name, as the page or the bundle's banner names it.
    pub name: &'static str,
    /// The `Content-Type` to serve it with, charset included.
    pub content_type: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
}

/// `Content-Type` of the JavaScript bundles.
pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
/// `Content-Type` of the style sheets.
pub const CSS: &str = "text/css; charset=utf-8";
/// `Content-Type` of the license files.
pub const TEXT: &str = "text/plain; charset=utf-8";

#[cfg(any(feature = "swagger-ui", feature = "redoc", feature = "scalar"))]
macro_rules! vendored {
    ($path:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/vendor/", $path))
    };
}

/// Swagger UI, from the npm package `swagger-ui-dist` (Apache-2.0).
#[cfg(feature = "swagger-ui")]
pub mod swagger_ui {
    use super::{Asset, CSS, JAVASCRIPT, TEXT};

    /// Version of the embedded `swagger-ui-dist`.
    pub const VERSION: &str = "5.35.0";

    /// `swagger-ui-bundle.js`.
    pub static BUNDLE_JS: &[u8] = vendored!("swagger-ui/swagger-ui-bundle.js");

    /// `swagger-ui.css`.
    pub static STYLE_CSS: &[u8] = vendored!("swagger-ui/swagger-ui.css");

    /// The bundle, the style sheet, the license file the bundle's banner
    /// names, and the package's `LICENSE` and `NOTICE`.
    pub static ASSETS: &[Asset] = &[
        Asset {
            name: "swagger-ui-bundle.js",
            content_type: JAVASCRIPT,
            bytes: BUNDLE_JS,
        },
        Asset {
            name: "swagger-ui.css",
            content_type: CSS,
            bytes: STYLE_CSS,
        },
        Asset {
            name: "swagger-ui-bundle.js.LICENSE.txt",
            content_type: TEXT,
            bytes: vendored!("swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
        },
        Asset {
            name: "LICENSE",
            content_type: TEXT,
            bytes: vendored!("swagger-ui/LICENSE"),
        },
        Asset {
            name: "NOTICE",
            content_type: TEXT,
            bytes: vendored!("swagger-ui/NOTICE"),
        },
    ];
}

/// ReDoc, from the npm package `redoc` (MIT).
#[cfg(feature = "redoc")]
pub mod redoc {
    use super::{Asset, JAVASCRIPT, TEXT};

    /// Version of the embedded `redoc`.
    pub const VERSION: &str = "2.5.4";

    /// `bundles/redoc.standalone.js`, with its one CDN-hosted image (the
    /// sidebar's logo) replaced by an inline, empty one.
    pub static STANDALONE_JS: &[u8] = vendored!("redoc/redoc.standalone.js");

    /// The bundle, the license file its banner names, and the package's
    /// `LICENSE`.
    pub static ASSETS: &[Asset] = &[
        Asset {
            name: "redoc.standalone.js",
            content_type: JAVASCRIPT,
            bytes: STANDALONE_JS,
        },
        Asset {
            name: "redoc.standalone.js.LICENSE.txt",
            content_type: TEXT,
            bytes: vendored!("redoc/redoc.standalone.js.LICENSE.txt"),
        },
        Asset {
            name: "LICENSE",
            content_type: TEXT,
            bytes: vendored!("redoc/LICENSE"),
        },
    ];
}

/// Scalar, from the npm package `@scalar/api-reference` (MIT).
#[cfg(feature = "scalar")]
pub mod scalar {
    use super::{Asset, JAVASCRIPT, TEXT};

    /// Version of the embedded `@scalar/api-reference`.
    pub const VERSION: &str = "1.76.0";

    /// `dist/browser/standalone.js`, unchanged: the page's configuration
    /// turns off its fonts, telemetry and hosted services.
    pub static STANDALONE_JS: &[u8] = vendored!("scalar/standalone.js");

    /// The bundle and a license note: the package ships no license file, so
    /// the note states what its `package.json` declares.
    pub static ASSETS: &[Asset] = &[
        Asset {
            name: "standalone.js",
            content_type: JAVASCRIPT,
            bytes: STANDALONE_JS,
        },
        Asset {
            name: "LICENSE",
            content_type: TEXT,
            bytes: vendored!("scalar/LICENSE"),
        },
    ];
}
