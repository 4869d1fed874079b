//! The docs site: `/openapi.json` from bytes serialized once at start-up,
//! Swagger UI and ReDoc from bundles embedded in the binary.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{web, HttpResponse};
use callback_docs_assets::{REDOC_STANDALONE_JS, SWAGGER_UI_BUNDLE_JS, SWAGGER_UI_CSS};

/// Where the docs site is served. `None` turns a page off.
#[derive(Debug, Clone)]
pub(crate) struct DocsPaths {
    pub openapi: String,
    pub swagger_ui: Option<String>,
    pub redoc: Option<String>,
}

impl Default for DocsPaths {
    fn default() -> Self {
        DocsPaths {
            openapi: "/openapi.json".to_owned(),
            swagger_ui: Some("/docs".to_owned()),
            redoc: Some("/redoc".to_owned()),
        }
    }
}

/// The routes of the docs site, with their pages rendered once.
#[derive(Clone)]
pub(crate) struct DocsSite {
    paths: DocsPaths,
    openapi_json: web::Bytes,
    swagger_page: web::Bytes,
    redoc_page: web::Bytes,
}

impl DocsSite {
    pub(crate) fn new(paths: DocsPaths, title: &str, openapi_json: web::Bytes) -> Self {
        let title = escape_html(title);
        let spec_url = js_string(&paths.openapi);
        let swagger_page = paths
            .swagger_ui
            .as_deref()
            .map_or_else(String::new, |base| {
                format!(
                    r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" href="{base}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base}/swagger-ui-bundle.js"></script>
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
                    base = escape_html(base)
                )
            });
        let redoc_page = paths.redoc.as_deref().map_or_else(String::new, |base| {
            format!(
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
<script src="{base}/redoc.standalone.js"></script>
<script>
Redoc.init({spec_url}, {{}}, document.getElementById("redoc-container"));
</script>
</body>
</html>
"##,
                base = escape_html(base)
            )
        });
        DocsSite {
            paths,
            openapi_json,
            swagger_page: swagger_page.into(),
            redoc_page: redoc_page.into(),
        }
    }
}

impl HttpServiceFactory for DocsSite {
    fn register(self, config: &mut AppService) {
        let json = self.openapi_json;
        web::resource(self.paths.openapi.as_str())
            .route(web::get().to(move || {
                let json = json.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type(ContentType::json())
                        .body(json)
                }
            }))
            .register(config);
        if let Some(base) = &self.paths.swagger_ui {
            page(base, self.swagger_page).register(config);
            asset(
                &format!("{base}/swagger-ui-bundle.js"),
                SWAGGER_UI_BUNDLE_JS,
                JAVASCRIPT,
            )
            .register(config);
            asset(&format!("{base}/swagger-ui.css"), SWAGGER_UI_CSS, CSS).register(config);
        }
        if let Some(base) = &self.paths.redoc {
            page(base, self.redoc_page).register(config);
            asset(
                &format!("{base}/redoc.standalone.js"),
                REDOC_STANDALONE_JS,
                JAVASCRIPT,
            )
            .register(config);
        }
    }
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

fn page(path: &str, html: web::Bytes) -> actix_web::Resource {
    web::resource(path).route(web::get().to(move || {
        let html = html.clone();
        async move {
            HttpResponse::Ok()
                .content_type(ContentType::html())
                .body(html)
        }
    }))
}

fn asset(path: &str, bytes: &'static [u8], content_type: &'static str) -> actix_web::Resource {
    web::resource(path).route(web::get().to(move || async move {
        HttpResponse::Ok()
            .content_type(content_type)
            .insert_header(CacheControl(vec![
                CacheDirective::Public,
                CacheDirective::MaxAge(86_400),
            ]))
            .body(bytes)
    }))
}

/// A JavaScript string literal that is safe inside a `<script>` element.
fn js_string(text: &str) -> String {
    serde_json::Value::from(text)
        .to_string()
        .replace('<', "\\u003c")
}

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
