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
    pub openapi: String,
    pub swagger_ui: Option<String>,
    pub redoc: Option<String>,
    pub scalar: Option<String>,
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

#[cfg(feature = "swagger-ui")]
fn swagger_ui_page(base: String, title: &str, openapi: &str) -> Page {
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{base_html}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base_html}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {spec_url},
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
"##,
        title = escape_html(title),
        base_html = escape_html(&base),
        spec_url = js_string(openapi),
    );
    Page {
        base,
        html: html.into(),
        assets: callback_docs_assets::swagger_ui::ASSETS,
    }
}

#[cfg(feature = "redoc")]
fn redoc_page(base: String, title: &str, openapi: &str) -> Page {
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<div id="redoc-container"></div>
<script src="{base_html}/redoc.standalone.js"></script>
<script>
Redoc.init({spec_url}, {{}}, document.getElementById("redoc-container"));
</script>
</body>
</html>
"##,
        title = escape_html(title),
        base_html = escape_html(&base),
        spec_url = js_string(openapi),
    );
    Page {
        base,
        html: html.into(),
        assets: callback_docs_assets::redoc::ASSETS,
    }
}

/// Scalar's defaults load web fonts and reach Scalar's hosted services
/// (telemetry, a request proxy, an AI agent, MCP, a registry, sharing); the
/// page turns each of them off so that everything comes from the app.
#[cfg(feature = "scalar")]
fn scalar_page(base: String, title: &str, openapi: &str) -> Page {
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Scalar</title>
</head>
<body>
<div id="scalar"></div>
<script src="{base_html}/standalone.js"></script>
<script>
Scalar.createApiReference("#scalar", {{
  url: {spec_url},
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: {{ disabled: true }},
  mcp: {{ disabled: true }},
  proxyUrl: "",
  externalUrls: {{ dashboardUrl: "", registryUrl: "", proxyUrl: "", apiBaseUrl: "" }}
}});
</script>
</body>
</html>
"##,
        title = escape_html(title),
        base_html = escape_html(&base),
        spec_url = js_string(openapi),
    );
    Page {
        base,
        html: html.into(),
        assets: callback_docs_assets::scalar::ASSETS,
    }
}

impl HttpServiceFactory for DocsSite {
    fn register(self, config: &mut AppService) {
        let json = self.openapi_json;
        web::resource(self.openapi.as_str())
            .route(web::get().to(move || {
                let json = json.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type(ContentType::json())
                        .body(json)
                }
            }))
            .register(config);
        for page in self.pages {
            html_page(&page.base, page.html).register(config);
            for asset in page.assets {
                asset_file(&format!("{}/{}", page.base, asset.name), asset).register(config);
            }
        }
    }
}

fn html_page(path: &str, html: web::Bytes) -> actix_web::Resource {
    web::resource(path).route(web::get().to(move || {
        let html = html.clone();
        async move {
            HttpResponse::Ok()
                .content_type(ContentType::html())
                .body(html)
        }
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
