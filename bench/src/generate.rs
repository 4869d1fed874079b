//! Rust source of generated APIs: N operations, each with its own JSON body,
//! query and response types, written with this framework (plus a callback
//! group per operation), with plain actix-web macros, or with utoipa 5 and
//! utoipa-actix-web (one `#[utoipa::path]` per handler with its body, query
//! and response).
//!
//! Every flavour declares the same types, including each operation's event
//! and acknowledgement (an app that sends callbacks needs them either way),
//! so the difference from plain is what the documentation adds: the schema
//! derives, the route expansions and the document assembly. utoipa has no
//! callbacks, so its flavour documents less than ours: the events are not
//! in its document.

use std::fmt::Write as _;

/// How the operations are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `#[callback_runtime::post]` with a `#[callbacks]` group each.
    Ours,
    /// `#[actix_web::post]`.
    Plain,
    /// `#[utoipa::path]` over `#[actix_web::post]`, collected by
    /// utoipa-actix-web.
    Utoipa,
}

/// The line the incremental-build benchmark edits: the response message of
/// operation 0, with a counter.
pub const EDIT_MARKER: &str = "(edit ";

/// `src/ops.rs`: the operations.
pub fn operations(flavor: Flavor, count: usize) -> String {
    let mut out = String::new();
    let (derive_in, derive_out, derive_both) = match flavor {
        Flavor::Ours => (
            "Deserialize, JsonSchema",
            "Serialize, JsonSchema",
            "Serialize, Deserialize, JsonSchema",
        ),
        Flavor::Plain => ("Deserialize", "Serialize", "Serialize, Deserialize"),
        Flavor::Utoipa => (
            "Deserialize, ToSchema",
            "Serialize, ToSchema",
            "Serialize, Deserialize",
        ),
    };
    // utoipa describes a query through `IntoParams`, not `ToSchema`.
    let derive_query = match flavor {
        Flavor::Utoipa => "Deserialize, IntoParams",
        _ => derive_in,
    };
    let _ = writeln!(
        out,
        "//! {count} generated operations, each with a JSON body and a query.\n\
         #![allow(dead_code)]\n\n\
         use actix_web::web;"
    );
    match flavor {
        Flavor::Ours => {
            out.push_str("use callback_runtime::{callbacks, post};\nuse schemars::JsonSchema;\n");
        }
        // utoipa's actix-web support recognises the route macro by its bare
        // name (`#[post]`), not by a path.
        Flavor::Utoipa => {
            out.push_str("use actix_web::post;\nuse utoipa::{IntoParams, ToSchema};\n")
        }
        Flavor::Plain => {}
    }
    out.push_str("use serde::{Deserialize, Serialize};\n");
    for i in 0..count {
        let message = if i == 0 {
            format!("Item {i} received {EDIT_MARKER}0)")
        } else {
            format!("Item {i} received")
        };
        let query_attr = if flavor == Flavor::Utoipa {
            "\n#[into_params(parameter_in = Query)]"
        } else {
            ""
        };
        let _ = write!(
            out,
            r#"
/// The body of operation {i}.
#[derive({derive_in})]
pub struct Item{i} {{
    /// Chosen by the client.
    pub id: String,
    /// An optional title.
    pub title: Option<String>,
    /// Who pays.
    pub customer: String,
    /// The amount due.
    pub total: f64,
}}

/// The query of operation {i}.
#[derive({derive_query})]{query_attr}
pub struct Query{i} {{
    /// Where to send events.
    pub callback_url: Option<url::Url>,
}}

/// An event about an item of operation {i}.
#[derive({derive_both})]
pub struct Event{i} {{
    /// What happened.
    pub description: String,
    /// Whether the item is paid.
    pub paid: bool,
}}

/// The client's answer to an `Event{i}`.
#[derive({derive_both})]
pub struct Ack{i} {{
    /// Whether the client accepted the event.
    pub ok: bool,
}}

/// The answer of operation {i}.
#[derive({derive_out})]
pub struct Received{i} {{
    /// A confirmation message.
    pub msg: String,
}}
"#
        );
        match flavor {
            Flavor::Ours => {
                let _ = write!(
                    out,
                    r#"
/// The requests operation {i} makes to the client.
#[callbacks]
pub mod callbacks{i} {{
    use super::*;

    /// Notify the client of an event on its item.
    #[post("{{$request.query.callback_url}}/items{i}/{{$request.body#/id}}")]
    fn notify{i}(body: Event{i}) -> Ack{i};
}}

/// Create an item of kind {i}.
#[post("/items{i}/", callbacks = callbacks{i})]
"#
                );
            }
            Flavor::Plain => {
                let _ = write!(
                    out,
                    r#"
/// Create an item of kind {i}.
#[actix_web::post("/items{i}/")]
"#
                );
            }
            Flavor::Utoipa => {
                let _ = write!(
                    out,
                    r#"
/// Create an item of kind {i}.
#[utoipa::path(
    post,
    path = "/items{i}/",
    request_body = Item{i},
    params(Query{i}),
    responses((status = 200, description = "The item was received.", body = Received{i}))
)]
#[post("/items{i}/")]
"#
                );
            }
        }
        let _ = write!(
            out,
            r#"pub async fn create{i}(
    item: web::Json<Item{i}>,
    query: web::Query<Query{i}>,
) -> web::Json<Received{i}> {{
    let _ = (item.into_inner(), query.into_inner());
    web::Json(Received{i} {{
        msg: "{message}".to_owned(),
    }})
}}
"#
        );
    }
    out
}

/// Replaces the counter of the edited line; `None` when the marker is
/// missing.
pub fn edit(source: &str, counter: u64) -> Option<String> {
    let start = source.find(EDIT_MARKER)? + EDIT_MARKER.len();
    let end = start + source[start..].find(')')?;
    Some(format!("{}{counter}{}", &source[..start], &source[end..]))
}

/// `source` with a comment line appended: the other kind of edit the
/// incremental-build benchmark makes, to `main.rs`, changing no item.
pub fn append_comment(source: &str, counter: u64) -> String {
    let mut out = source.to_owned();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "// edit {counter}");
    out
}

/// `src/main.rs` of a server of `count` operations.
pub fn server_main(flavor: Flavor, count: usize) -> String {
    let mut out = String::new();
    match flavor {
        Flavor::Ours => {
            out.push_str(
                "//! A generated API served by callback-runtime.\n\n\
                 mod ops;\n\n\
                 use actix_web::{App, HttpServer};\n\
                 use callback_runtime::{Api, ApiService, AssemblyError};\n\n\
                 fn api() -> Result<ApiService, AssemblyError> {\n\
                 \x20   Api::new(\"Generated\", \"1.0.0\")\n",
            );
            for i in 0..count {
                let _ = writeln!(out, "        .service(ops::create{i})");
            }
            out.push_str(
                "        .build()\n\
                 }\n\n\
                 #[actix_web::main]\n\
                 async fn main() -> std::io::Result<()> {\n\
                 \x20   let api = api().map_err(std::io::Error::other)?;\n\
                 \x20   HttpServer::new(move || App::new().service(api.clone()))\n\
                 \x20       .bind((\"127.0.0.1\", 0))?\n\
                 \x20       .run()\n\
                 \x20       .await\n\
                 }\n",
            );
        }
        Flavor::Utoipa => {
            out.push_str(
                "//! A generated API documented by utoipa and utoipa-actix-web.\n\n\
                 mod ops;\n\n\
                 use actix_web::{web, App, HttpResponse, HttpServer};\n\
                 use utoipa_actix_web::AppExt;\n\n\
                 fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {\n\
                 \x20   config\n",
            );
            for i in 0..count {
                let _ = writeln!(out, "        .service(ops::create{i})");
            }
            out.push_str(
                "        ;\n\
                 }\n\n\
                 #[actix_web::main]\n\
                 async fn main() -> std::io::Result<()> {\n\
                 \x20   HttpServer::new(|| {\n\
                 \x20       let (app, document) = App::new().into_utoipa_app().configure(configure).split_for_parts();\n\
                 \x20       let json = document.to_json().expect(\"the document serializes\");\n\
                 \x20       app.route(\n\
                 \x20           \"/openapi.json\",\n\
                 \x20           web::get().to(move || {\n\
                 \x20               let json = json.clone();\n\
                 \x20               async move { HttpResponse::Ok().content_type(\"application/json\").body(json) }\n\
                 \x20           }),\n\
                 \x20       )\n\
                 \x20   })\n\
                 \x20   .bind((\"127.0.0.1\", 0))?\n\
                 \x20   .run()\n\
                 \x20   .await\n\
                 }\n",
            );
        }
        Flavor::Plain => {
            out.push_str(
                "//! A generated API served by plain actix-web.\n\n\
                 mod ops;\n\n\
                 use actix_web::{web, App, HttpServer};\n\n\
                 fn configure(config: &mut web::ServiceConfig) {\n\
                 \x20   config\n",
            );
            for i in 0..count {
                let _ = writeln!(out, "        .service(ops::create{i})");
            }
            out.push_str(
                "        ;\n\
                 }\n\n\
                 #[actix_web::main]\n\
                 async fn main() -> std::io::Result<()> {\n\
                 \x20   HttpServer::new(|| App::new().configure(configure))\n\
                 \x20       .bind((\"127.0.0.1\", 0))?\n\
                 \x20       .run()\n\
                 \x20       .await\n\
                 }\n",
            );
        }
    }
    out
}

/// `src/main.rs` of the cold-build app of `flavor`: [`server_main`] of one
/// operation, and for utoipa also Swagger UI at `/docs` with the document
/// at `/openapi.json` (utoipa-swagger-ui), which is what ours serves with
/// its `swagger-ui` feature. Plain serves its route only.
pub fn cold_main(flavor: Flavor) -> String {
    if flavor != Flavor::Utoipa {
        return server_main(flavor, 1);
    }
    "//! A one-operation API documented by utoipa, with Swagger UI.\n\n\
     mod ops;\n\n\
     use actix_web::{App, HttpServer};\n\
     use utoipa_actix_web::AppExt;\n\
     use utoipa_swagger_ui::SwaggerUi;\n\n\
     #[actix_web::main]\n\
     async fn main() -> std::io::Result<()> {\n\
     \x20   HttpServer::new(|| {\n\
     \x20       let (app, document) = App::new()\n\
     \x20           .into_utoipa_app()\n\
     \x20           .service(ops::create0)\n\
     \x20           .split_for_parts();\n\
     \x20       app.service(SwaggerUi::new(\"/docs/{_:.*}\").url(\"/openapi.json\", document))\n\
     \x20   })\n\
     \x20   .bind((\"127.0.0.1\", 0))?\n\
     \x20   .run()\n\
     \x20   .await\n\
     }\n"
    .to_owned()
}

/// How many operations one crate of the assembly benchmark holds: rustc
/// needs about 2 GB for a thousand, and separate crates build in parallel.
pub const ASSEMBLY_CHUNK: usize = 1000;

/// `src/lib.rs` of `assembly-types`: what every operation of the assembly
/// benchmark takes and returns.
///
/// Sharing them keeps the 10,000-operation build within minutes: a handler
/// monomorphizes actix-web's extraction and serde's deserializers for its
/// argument types, and that, not the framework, would dominate. Each
/// operation still has its own callback event and acknowledgement types,
/// so the document's schemas grow with the operations.
pub fn assembly_types() -> String {
    r#"//! The body, query and response shared by the assembly benchmark's operations.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of every operation.
#[derive(Deserialize, JsonSchema)]
pub struct Item {
    /// Chosen by the client.
    pub id: String,
    /// An optional title.
    pub title: Option<String>,
    /// Who pays.
    pub customer: String,
    /// The amount due.
    pub total: f64,
}

/// The query of every operation.
#[derive(Deserialize, JsonSchema)]
pub struct Query {
    /// Where to send events.
    pub callback_url: Option<url::Url>,
}

/// The answer of every operation.
#[derive(Serialize, JsonSchema)]
pub struct Received {
    /// A confirmation message.
    pub msg: String,
}
"#
    .to_owned()
}

/// `src/lib.rs` of `assembly-ops-K`: operations `range`, each with its own
/// path, handler, callback group and event types, and `OPERATIONS`, one
/// function per operation that mounts it on an `Api`.
pub fn assembly_chunk(range: std::ops::Range<usize>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "//! Operations {} to {} of the assembly benchmark.\n\n\
         use actix_web::web;\n\
         use assembly_types::{{Item, Query, Received}};\n\
         use callback_runtime::{{callbacks, post, Api}};\n\
         use schemars::JsonSchema;\n\
         use serde::{{Deserialize, Serialize}};\n",
        range.start,
        range.end - 1
    );
    for i in range.clone() {
        let _ = write!(
            out,
            r#"
/// An event about an item of operation {i}.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Event{i} {{
    /// What happened.
    pub description: String,
    /// Whether the item is paid.
    pub paid: bool,
}}

/// The client's answer to an `Event{i}`.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Ack{i} {{
    /// Whether the client accepted the event.
    pub ok: bool,
}}

/// The requests operation {i} makes to the client.
#[callbacks]
pub mod callbacks{i} {{
    use super::*;

    /// Notify the client of an event on its item.
    #[post("{{$request.query.callback_url}}/items{i}/{{$request.body#/id}}")]
    fn notify{i}(body: Event{i}) -> Ack{i};
}}

/// Create an item of kind {i}.
#[post("/items{i}/", callbacks = callbacks{i})]
pub async fn create{i}(item: web::Json<Item>, query: web::Query<Query>) -> web::Json<Received> {{
    let _ = (item.into_inner(), query.into_inner());
    web::Json(Received {{
        msg: "Item {i} received".to_owned(),
    }})
}}
"#
        );
    }
    let _ = write!(
        out,
        "\n/// Mounts one operation each, in order.\n\
         pub static OPERATIONS: [fn(Api) -> Api; {}] = [\n",
        range.len()
    );
    for i in range {
        let _ = writeln!(out, "    |api| api.service(create{i}),");
    }
    out.push_str("];\n");
    out
}

/// `src/main.rs` of the assembly benchmark: builds the API from the first N
/// operations, for each N on the command line, and prints one JSON line per
/// N with the times of `Api::build()` and the document's size.
pub fn assembly_main(chunks: usize) -> String {
    let mut out = String::new();
    out.push_str(
        "//! Times `Api::build()` for the first N generated operations.\n\n\
         use std::time::Instant;\n\n\
         use callback_runtime::Api;\n\n\
         /// The operations, a crate at a time.\n",
    );
    let _ = writeln!(out, "static CHUNKS: [&[fn(Api) -> Api]; {chunks}] = [");
    for k in 0..chunks {
        let _ = writeln!(out, "    &assembly_ops_{k}::OPERATIONS,");
    }
    out.push_str(
        r#"];

fn main() {
    let mut args = std::env::args().skip(1);
    let repeats: usize = args
        .next()
        .and_then(|arg| arg.parse().ok())
        .expect("usage: assembly REPEATS SIZE...");
    let operations: Vec<fn(Api) -> Api> = CHUNKS.iter().flat_map(|chunk| chunk.iter().copied()).collect();
    for arg in args {
        let size: usize = arg.parse().expect("a number of operations");
        assert!(size <= operations.len(), "at most {} operations", operations.len());
        let mut nanos = Vec::with_capacity(repeats);
        let mut bytes = 0;
        for _ in 0..repeats {
            let api = operations[..size]
                .iter()
                .fold(Api::new("Assembly", "1.0.0"), |api, add| add(api));
            let start = Instant::now();
            let service = api.build().unwrap_or_else(|error| panic!("{error}"));
            nanos.push(start.elapsed().as_nanos());
            bytes = serde_json::to_vec(service.document())
                .expect("the document serializes")
                .len();
        }
        println!("{{\"operations\":{size},\"nanos\":{nanos:?},\"bytes\":{bytes}}}");
    }
}
"#,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_changes_one_line_only() {
        let source = operations(Flavor::Plain, 3);
        let edited = edit(&source, 41).expect("the marker is there");
        let changed: Vec<_> = source
            .lines()
            .zip(edited.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1);
        assert!(changed[0].1.contains("(edit 41)"));
        assert_eq!(
            edit(&edited, 42)
                .expect("again")
                .matches("(edit 42)")
                .count(),
            1
        );
    }

    #[test]
    fn the_comment_is_appended_after_the_last_line() {
        let main = server_main(Flavor::Plain, 2);
        let once = append_comment(&main, 7);
        assert!(once.starts_with(&main));
        assert_eq!(&once[main.len()..], "// edit 7\n");
        let twice = append_comment(&once, 8);
        assert!(twice.ends_with("// edit 7\n// edit 8\n"));
        assert_eq!(
            append_comment("fn main() {}", 1),
            "fn main() {}\n// edit 1\n"
        );
    }

    #[test]
    fn the_cold_utoipa_app_serves_swagger_ui_and_the_document() {
        let main = cold_main(Flavor::Utoipa);
        assert!(main.contains("SwaggerUi::new(\"/docs/{_:.*}\").url(\"/openapi.json\", document)"));
        assert!(main.contains(".service(ops::create0)"));
        assert_eq!(cold_main(Flavor::Ours), server_main(Flavor::Ours, 1));
    }

    #[test]
    fn assembly_chunks_mount_every_operation_once() {
        let chunk = assembly_chunk(1000..1003);
        assert_eq!(chunk.matches("#[callbacks]").count(), 3);
        assert!(chunk.contains("pub static OPERATIONS: [fn(Api) -> Api; 3]"));
        assert!(chunk.contains("|api| api.service(create1002),"));
        assert!(!chunk.contains("create999"));
        assert!(assembly_main(2).contains("&assembly_ops_1::OPERATIONS,"));
    }

    #[test]
    fn ours_declares_a_callback_group_per_operation() {
        let source = operations(Flavor::Ours, 2);
        assert_eq!(source.matches("#[callbacks]").count(), 2);
        assert!(source.contains("#[post(\"/items1/\", callbacks = callbacks1)]"));
        assert!(source.contains("{$request.query.callback_url}/items1/{$request.body#/id}"));
        assert_eq!(
            operations(Flavor::Plain, 2).matches("#[callbacks]").count(),
            0
        );
    }
}
