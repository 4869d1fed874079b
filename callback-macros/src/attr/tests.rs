//! Parsing attributes: every problem of one attribute in one pass, each at
//! the user's token, and the values kept with their keys' spans.

use quote::{quote, ToTokens};

use super::*;

fn messages(error: syn::Error) -> Vec<String> {
    error.into_iter().map(|e| e.to_string()).collect()
}

fn route(args: proc_macro2::TokenStream) -> syn::Result<RouteAttr> {
    syn::parse2(args)
}

#[test]
fn every_problem_of_a_route_attribute_at_once() {
    let error = route(quote!(
        "invoices",
        summry = "List",
        status = 999,
        tags = ["a"],
        tags = ["b"],
        hidden
    ))
    .err()
    .unwrap();
    assert_eq!(
        messages(error),
        [
            "a route path starts with `/`: write \"/invoices\"",
            "unknown key `summry`: did you mean `summary`? expected one of: `callbacks`, `operation_id`, \
             `summary`, `description`, `deprecated`, `status`, `responses`, `security`, `tags`, \
             `hidden`, `name`, `crate`",
            "expected an HTTP status code between 100 and 599",
            "duplicate `tags`: each key may be given once",
        ]
    );
}

#[test]
fn route_keys_keep_their_values() {
    let attr = route(quote!(
        "/invoices/{id}",
        callbacks = [a, b::c],
        operation_id = "readInvoice",
        tags = ["invoices"],
        deprecated = false,
        hidden,
        status = 201,
        responses(404 => Problem, (status = 200, description = "OK", headers("ETag"))),
        security(),
        name = "read",
        crate = "cbr",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr.path.names, ["id"]);
    let groups: Vec<String> = attr.operation.callbacks().iter().map(path_text).collect();
    assert_eq!(groups, ["a", "b::c"]);
    assert_eq!(
        attr.operation.operation_id().unwrap().value(),
        "readInvoice"
    );
    assert!(!attr.operation.deprecated());
    assert!(attr.hidden());
    assert_eq!(attr.tags().len(), 1);
    assert_eq!(attr.operation.status().unwrap().to_string(), "201");
    assert_eq!(attr.operation.responses().len(), 2);
    assert_eq!(attr.operation.responses()[1].headers.len(), 1);
    assert_eq!(attr.operation.security().map(<[_]>::len), Some(0));
    assert_eq!(attr.name().unwrap().value(), "read");
    assert_eq!(attr.krate().to_token_stream().to_string(), ":: cbr");
}

#[test]
fn a_group_attached_twice_is_an_error_at_the_second() {
    let error = route(quote!("/a", callbacks = [a, b, a])).err().unwrap();
    assert_eq!(
        messages(error),
        ["the callback group `a` is attached twice"]
    );
}

#[test]
fn a_response_needs_a_status() {
    let error = route(quote!("/a", responses((description = "x", schema = T))))
        .err()
        .unwrap();
    assert_eq!(
        messages(error),
        [
            "unknown key `schema`: expected one of: `status`, `body`, `description`, `headers`",
            "a response needs its `status = …`",
        ]
    );
}

#[test]
fn crate_paths() {
    for (given, written) in [
        ("cbr", ":: cbr"),
        ("::cbr", ":: cbr"),
        ("crate", "crate"),
        ("self::runtime", "self :: runtime"),
        ("facade::runtime", "facade :: runtime"),
    ] {
        let attr = route(quote!("/a", crate = #given)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            attr.krate().to_token_stream().to_string(),
            written,
            "{given}"
        );
    }
    let default = route(quote!("/a")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        default.krate().to_token_stream().to_string(),
        ":: callback_runtime"
    );
}

#[test]
fn crate_errors() {
    let error = route(quote!("/a", crate = 5)).err().unwrap();
    assert_eq!(
        messages(error),
        ["expected the path of the runtime crate as a string, e.g. `crate = \"callback_runtime\"`"]
    );
    let error = route(quote!("/a", crate = "callback runtime"))
        .err()
        .unwrap();
    assert_eq!(
        messages(error),
        ["\"callback runtime\" is not a path: expected the path of the runtime crate as a string, \
          e.g. `crate = \"callback_runtime\"`"]
    );
}

#[test]
fn group_attribute() {
    let attr: GroupAttr = syn::parse2(quote!(crate = "cbr")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr.krate().to_token_stream().to_string(), ":: cbr");
    let error = syn::parse2::<GroupAttr>(quote!(name = "x")).err().unwrap();
    assert_eq!(messages(error), ["unknown key `name`: expected `crate`"]);
}

#[test]
fn callback_attribute() {
    let attr: CallbackAttr = syn::parse2(quote!(
        "{$request.query.callback_url}/events",
        summary = "Events",
        callbacks = ack_callbacks,
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr.url.template.expressions().count(), 1);
    assert_eq!(attr.operation.summary().unwrap().value(), "Events");

    let error = syn::parse2::<CallbackAttr>(quote!(
        "{$request.query.callback_url}",
        summary = "a",
        summary = "b",
        tags = ["x"],
        crate = "cbr"
    ))
    .err()
    .unwrap();
    let keys = "expected one of: `callbacks`, `operation_id`, `summary`, `description`, \
                `deprecated`, `status`, `responses`, `security`";
    assert_eq!(
        messages(error),
        [
            "duplicate `summary`: each key may be given once".to_owned(),
            format!("`tags` does not apply to a callback: {keys}"),
            format!(
                "`crate` does not apply to one callback: give it to the group, \
                 `#[callbacks(crate = \"…\")]`: {keys}"
            ),
        ]
    );
}

#[test]
fn webhook_attribute() {
    let attr: WebhookAttr =
        syn::parse2(quote!("newOrder", deprecated)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attr.name.value(), "newOrder");
    assert!(attr.operation.deprecated());

    let error = syn::parse2::<WebhookAttr>(quote!("/orders/new", hidden))
        .err()
        .unwrap();
    let messages = messages(error);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].starts_with("a webhook's attribute gives its name, not a URL"));
    assert!(messages[1].starts_with("`hidden` does not apply to a webhook: "));
}
