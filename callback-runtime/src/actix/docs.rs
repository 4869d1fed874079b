//! The docs site: `/openapi.json` from bytes serialized once at start-up,
//! and Swagger UI, ReDoc and Scalar (each behind its feature) from bundles
//! embedded in the binary, with the license files they name served next to
//! them.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{web, HttpResponse};
use callback_docs_assets::Asset;

/// Where the docs site is served. `None` turns a page off; a page whose
/// feature is off is never served.
#[derive(Debug, Clone)]
pub(crate) struct DocsPaths {
    openapi: String,
    swagger_ui: Option<String>,
    redoc: Option<String>,
    scalar: Option<String>,
}

impl DocsPaths {
    /// Serves the document at `path`.
    pub(crate) fn set_openapi(&mut self, path: String) {
        self.openapi = path;
    }

    /// Serves Swagger UI at `path`, or not at all.
    pub(crate) fn set_swagger_ui(&mut self, path: Option<String>) {
        self.swagger_ui = path;
    }

    /// Serves ReDoc at `path`, or not at all.
    pub(crate) fn set_redoc(&mut self, path: Option<String>) {
        self.redoc = path;
    }

    /// Serves Scalar at `path`, or not at all.
    pub(crate) fn set_scalar(&mut self, path: Option<String>) {
        self.scalar = path;
    }
}

impl Default for DocsPaths {
    fn default() -> Self {
        DocsPaths {
            openapi: "/openapi.json".to_owned(),
            swagger_ui: Some("/docs".to_owned()),
            redoc: Some("/redoc".to_owned()),
            scalar: Some("/scalar".to_owned()),
        }
    }
}

/// The routes of the docs site, with their pages rendered once.
#[derive(Clone)]
pub(crate) struct DocsSite {
    openapi: String,
    openapi_json: web::Bytes,
    pages: Vec<Page>,
}

/// One UI: its HTML page at `base`, its assets at `{base}/{name}`.
#[derive(Clone)]
struct Page {
    base: String,
    html: web::Bytes,
    assets: &'static [Asset],
}

impl DocsSite {
    pub(crate) fn new(paths: DocsPaths, title: &str, openapi_json: web::Bytes) -> Self {
        let DocsPaths {
            openapi,
            swagger_ui,
            redoc,
            scalar,
        } = paths;
        // A page whose feature is off is dropped here, whatever its path.
        #[allow(unused_mut)]
        let mut pages = Vec::new();
        #[cfg(feature = "swagger-ui")]
        pages.extend(swagger_ui.map(|base| swagger_ui_page(base, title, &openapi)));
        #[cfg(not(feature = "swagger-ui"))]
        drop(swagger_ui);
        #[cfg(feature = "redoc")]
        pages.extend(redoc.map(|base| redoc_page(base, title, &openapi)));
        #[cfg(not(feature = "redoc"))]
        drop(redoc);
        #[cfg(feature = "scalar")]
        pages.extend(scalar.map(|base| scalar_page(base, title, &openapi)));
        #[cfg(not(feature = "scalar"))]
        drop(scalar);
        #[cfg(not(any(feature = "swagger-ui", feature = "redoc", feature = "scalar")))]
        let _ = title;
        DocsSite {
            openapi,
            openapi_json,
            pages,
        }
    }
}

/// A UI's page at `base`: the HTML document around the UI's own `head`
/// and `body` markup, which name their files under `{base_html}` and the
/// document's URL as `{spec_url}`.
#[cfg(any(feature = "swagger-ui", feature = "redoc", feature = "scalar"))]
fn page(
    base: String,
    title: &str,
    ui: &str,
    openapi: &str,
    (head, body): (&str, &str),
    assets: &'static [Asset],
) -> Page {
    let base_html = escape_html(&base);
    let spec_url = js_string(openapi);
    let fill = |markup: &str| {
        markup
            .replace("{base_html}", &base_html)
            .replace("{spec_url}", &spec_url)
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} - {ui}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n",
        title = escape_html(title),
        head = fill(head),
        body = fill(body),
    );
    Page {
        base,
        html: html.into(),
        assets,
    }
}

#[cfg(feature = "swagger-ui")]
fn swagger_ui_page(base: String, title: &str, openapi: &str) -> Page {
    const HEAD: &str = "<link rel=\"stylesheet\" href=\"{base_html}/swagger-ui.css\">\n";
    const BODY: &str = r##"<div id="swagger-ui"></div>
<script src="{base_html}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: {spec_url},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
</script>
"##;
    let assets = callback_docs_assets::swagger_ui::ASSETS;
    page(base, title, "Swagger UI", openapi, (HEAD, BODY), assets)
}

#[cfg(feature = "redoc")]
fn redoc_page(base: String, title: &str, openapi: &str) -> Page {
    const HEAD: &str = "<style>body { margin: 0; padding: 0; }</style>\n";
    const BODY: &str = r##"<div id="redoc-container"></div>
<script src="{base_html}/redoc.standalone.js"></script>
<script>
Redoc.init({spec_url}, {}, document.getElementById("redoc-container"));
</script>
"##;
    let assets = callback_docs_assets::redoc::ASSETS;
    page(base, title, "ReDoc", openapi, (HEAD, BODY), assets)
}

/// Scalar's defaults load web fonts and reach Scalar's hosted services
/// (telemetry, a request proxy, an AI agent, MCP, a registry, sharing); the
/// page turns each of them off so that everything comes from the app.
#[cfg(feature = "scalar")]
fn scalar_page(base: String, title: &str, openapi: &str) -> Page {
    const BODY: &str = r##"<div id="scalar"></div>
<script src="{base_html}/standalone.js"></script>
<script>
Scalar.createApiReference("#scalar", {
  url: {spec_url},
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true },
  proxyUrl: "",
  externalUrls: { dashboardUrl: "", registryUrl: "", proxyUrl: "", apiBaseUrl: "" }
});
</script>
"##;
    let assets = callback_docs_assets::scalar::ASSETS;
    page(base, title, "Scalar", openapi, ("", BODY), assets)
}

impl HttpServiceFactory for DocsSite {
    fn register(self, config: &mut AppService) {
        served_bytes(&self.openapi, ContentType::json(), self.openapi_json).register(config);
        for page in self.pages {
            served_bytes(&page.base, ContentType::html(), page.html).register(config);
            for asset in page.assets {
                asset_file(&format!("{}/{}", page.base, asset.name), asset).register(config);
            }
        }
    }
}

/// `GET path`: `bytes`, rendered once, with `content_type`.
fn served_bytes(path: &str, content_type: ContentType, bytes: web::Bytes) -> actix_web::Resource {
    web::resource(path).route(web::get().to(move || {
        let (content_type, bytes) = (content_type.clone(), bytes.clone());
        async move { HttpResponse::Ok().content_type(content_type).body(bytes) }
    }))
}

fn asset_file(path: &str, asset: &'static Asset) -> actix_web::Resource {
    web::resource(path).route(web::get().to(move || async move {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(86_400),
            ]))
            .body(asset.bytes)
    }))
}

/// A JavaScript string literal that is safe inside a `<script>` element.
#[cfg(any(feature = "swagger-ui", feature = "redoc", feature = "scalar"))]
fn js_string(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace('<', "\\u003c")
}

#[cfg(any(feature = "swagger-ui", feature = "redoc", feature = "scalar"))]
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
