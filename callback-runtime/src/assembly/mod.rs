//! Start-up: turn the mounted operations into one checked OpenAPI document.

mod callbacks;
mod schema_pointer;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;

use schemars::{JsonSchema, SchemaGenerator};
use serde_json::Value;

use crate::describe::{
    schema_generator, summary_and_description, CallbackGroup, OperationBuilder, OperationSpec,
    SecuritySpec, WebhookGroup,
};
use crate::openapi::{
    Callback, Components, ExternalDocs, Info, OpenApi, OpenApiVersion, Operation, PathItem, RefOr,
    SecurityRequirement, SecurityScheme, Server, SignatureScheme, StandardWebhooks, Tag,
};

/// The problems found while assembling the document, all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssemblyError {
    /// One sentence per problem, naming the operation and what is wrong.
    pub problems: Vec<String>,
}

impl fmt::Display for AssemblyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the OpenAPI document has {} problem(s):",
            self.problems.len()
        )?;
        for problem in &self.problems {
            writeln!(f, "- {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AssemblyError {}

/// Everything of the document but its operations: what [`Api`]'s builder
/// methods set, handed over to [`assemble`].
///
/// [`Api`]: crate::Api
#[derive(Clone)]
pub(crate) struct DocumentSettings {
    version: OpenApiVersion,
    signed: StandardWebhooks,
    info: Info,
    servers: Vec<Server>,
    tags: Vec<Tag>,
    external_docs: Option<ExternalDocs>,
    security: Vec<SecurityRequirement>,
    security_schemes: Vec<(String, SecurityScheme)>,
    webhooks: Vec<&'static WebhookGroup>,
}

impl DocumentSettings {
    /// The settings of a document with the given title and version.
    pub(crate) fn new(title: String, version: String) -> Self {
        DocumentSettings {
            version: OpenApiVersion::default(),
            signed: StandardWebhooks::new([SignatureScheme::V1]),
            info: Info {
                title,
                version,
                description: None,
                terms_of_service: None,
                contact: None,
                license: None,
            },
            servers: Vec::new(),
            tags: Vec::new(),
            external_docs: None,
            security: Vec::new(),
            security_schemes: Vec::new(),
            webhooks: Vec::new(),
        }
    }

    /// Sets the version of the specification the document follows.
    pub(crate) fn set_version(&mut self, version: OpenApiVersion) {
        self.version = version;
    }

    /// Sets the schemes the callbacks and webhooks are documented as
    /// signed with (`v1` unless set; none: unsigned).
    pub(crate) fn set_signatures(&mut self, schemes: impl IntoIterator<Item = SignatureScheme>) {
        self.signed = StandardWebhooks::new(schemes);
    }

    /// The `info` object, to set its optional fields.
    pub(crate) fn info_mut(&mut self) -> &mut Info {
        &mut self.info
    }

    /// Adds a server, after those added before.
    pub(crate) fn add_server(&mut self, server: Server) {
        self.servers.push(server);
    }

    /// Adds a tag, after those added before.
    pub(crate) fn add_tag(&mut self, tag: Tag) {
        self.tags.push(tag);
    }

    /// Sets the document's external documentation.
    pub(crate) fn set_external_docs(&mut self, docs: ExternalDocs) {
        self.external_docs = Some(docs);
    }

    /// Adds an alternative to the document-wide security.
    pub(crate) fn add_security(&mut self, requirement: SecurityRequirement) {
        self.security.push(requirement);
    }

    /// Declares a security scheme (declaring one name twice is a problem
    /// reported by [`assemble`]).
    pub(crate) fn add_security_scheme(&mut self, name: String, scheme: SecurityScheme) {
        self.security_schemes.push((name, scheme));
    }

    /// Adds a group to the document's `webhooks`.
    pub(crate) fn add_webhooks(&mut self, group: &'static WebhookGroup) {
        self.webhooks.push(group);
    }
}

/// What a scope gives every operation mounted in it (and in its nested
/// scopes): callback groups, security, default responses.
#[derive(Clone, Default)]
pub(crate) struct ScopeDefaults {
    /// Callback groups, outermost scope first.
    callbacks: Vec<&'static CallbackGroup>,
    /// Security of the innermost scope that sets it.
    security: Option<Vec<SecurityRequirement>>,
    /// Default responses, outermost scope first.
    default_responses: Vec<DefaultResponse>,
}

impl ScopeDefaults {
    /// Attaches a callback group, after those attached before.
    pub(crate) fn add_callbacks(&mut self, group: &'static CallbackGroup) {
        self.callbacks.push(group);
    }

    /// Adds an alternative to the scope's security.
    pub(crate) fn add_security(&mut self, requirement: SecurityRequirement) {
        self.security.get_or_insert_with(Vec::new).push(requirement);
    }

    /// Adds a default response, after those added before.
    pub(crate) fn add_default_response(&mut self, response: DefaultResponse) {
        self.default_responses.push(response);
    }

    /// What an operation of a scope with these defaults gets, when the
    /// scope is nested in one that gives `outer`.
    pub(crate) fn within(&self, outer: &ScopeDefaults) -> ScopeDefaults {
        ScopeDefaults {
            callbacks: outer
                .callbacks
                .iter()
                .chain(&self.callbacks)
                .copied()
                .collect(),
            security: self.security.clone().or_else(|| outer.security.clone()),
            default_responses: (outer.default_responses.iter())
                .chain(&self.default_responses)
                .cloned()
                .collect(),
        }
    }
}

/// A response every operation of a scope may give (e.g. an error body),
/// used by the operations that document no `default` response.
#[derive(Clone)]
pub(crate) struct DefaultResponse {
    describe: Arc<dyn Fn(&mut OperationBuilder<'_>) + Send + Sync>,
}

impl DefaultResponse {
    /// The `default` response with a JSON body of schema `T`.
    pub(crate) fn json<T: JsonSchema>(description: &str) -> Self {
        let description = description.to_owned();
        DefaultResponse {
            describe: Arc::new(move |operation| {
                operation.default_json_response::<T>(&description);
            }),
        }
    }
}

/// A mounted operation with its full path and what its scopes give it.
pub(crate) struct Mounted {
    path: String,
    spec: OperationSpec,
    scope: ScopeDefaults,
}

impl Mounted {
    /// The operation of `spec`, mounted at `path` (scope prefixes
    /// included) in scopes that give it `scope`.
    pub(crate) fn new(path: String, spec: OperationSpec, scope: ScopeDefaults) -> Self {
        Mounted { path, spec, scope }
    }

    /// Every callback group of the operation: its scopes' first, then its own.
    fn callback_groups(&self) -> impl Iterator<Item = &'static CallbackGroup> + '_ {
        self.scope
            .callbacks
            .iter()
            .copied()
            .chain(self.spec.callbacks.iter().copied())
    }

    fn name(&self, path: &str) -> String {
        format!(
            "operation `{}` (`{} {path}`)",
            self.spec.handler,
            self.spec.method.as_str().to_uppercase()
        )
    }
}

/// The document of the `mounted` operations with `settings`, checked.
pub(crate) fn assemble(
    settings: &DocumentSettings,
    mounted: &[Mounted],
) -> Result<OpenApi, AssemblyError> {
    let mut generator = schema_generator();
    let mut problems = Vec::new();
    let mut operations = Vec::new();
    for m in mounted.iter().filter(|m| !m.spec.hidden) {
        let doc_path = callback_expr::openapi_path(&m.path);
        match describe_operation(&mut generator, m, &doc_path) {
            Ok(operation) => operations.push((doc_path, m, operation)),
            Err(errors) => problems.extend(errors),
        }
    }

    let mut components = Components::default();
    callbacks::attach(
        &mut generator,
        &mut operations,
        &mut components,
        &settings.signed,
        &mut problems,
    );
    let webhooks = callbacks::webhooks(
        &mut generator,
        &settings.webhooks,
        &settings.signed,
        &mut problems,
    );

    let mut paths = IndexMap::<String, PathItem>::new();
    let mut ids = OperationIds::default();
    for (path, m, operation) in operations {
        let method = m.spec.method.as_str();
        let name = format!(
            "`{} {path}` (handler `{}`)",
            method.to_uppercase(),
            m.spec.handler
        );
        ids.claim(&operation.operation_id, name, &mut problems);
        ids.claim_callbacks(&operation, &mut problems);
        let item = paths.entry(path.clone()).or_default();
        if item.insert(method, operation).is_some() {
            problems.push(format!(
                "two handlers are mounted for `{} {path}`",
                method.to_uppercase()
            ));
        }
    }
    for (name, item) in &webhooks {
        for (method, operation) in item {
            let owner = format!("webhook `{name}` (`{}`)", method.to_uppercase());
            ids.claim(&operation.operation_id, owner, &mut problems);
            ids.claim_callbacks(operation, &mut problems);
        }
    }
    for (callback_name, item) in &components.path_items {
        ids.claim_path_item(callback_name, None, item, &mut problems);
    }

    for (name, scheme) in &settings.security_schemes {
        if components
            .security_schemes
            .insert(name.clone(), scheme.clone())
            .is_some()
        {
            problems.push(format!("the security scheme `{name}` is declared twice"));
        }
    }
    // Schemas by name, so that the document reads like an index.
    let mut schemas: Vec<_> = generator.take_definitions(true).into_iter().collect();
    schemas.sort_by(|a, b| a.0.cmp(&b.0));
    components.schemas = schemas.into_iter().collect();
    let document = OpenApi {
        openapi: settings.version,
        info: settings.info.clone(),
        servers: settings.servers.clone(),
        paths,
        webhooks,
        components,
        security: settings.security.clone(),
        tags: settings.tags.clone(),
        external_docs: settings.external_docs.clone(),
    };
    check_security(&document, &mut problems);
    check_references(&document, &mut problems);
    if problems.is_empty() {
        Ok(document)
    } else {
        Err(AssemblyError { problems })
    }
}

fn describe_operation(
    generator: &mut SchemaGenerator,
    m: &Mounted,
    path: &str,
) -> Result<Operation, Vec<String>> {
    let spec = &m.spec;
    let path_names = callback_expr::path_parameters(path)
        .map(|parameters| parameters.into_iter().map(|p| p.name).collect())
        .unwrap_or_default();
    let mut builder = OperationBuilder::new(generator, path_names);
    (spec.describe)(&mut builder);
    if !builder.has_default_response() {
        for default in &m.scope.default_responses {
            (default.describe)(&mut builder);
        }
    }
    let (described, errors) = builder.into_parts();
    if !errors.is_empty() {
        let name = m.name(path);
        return Err(errors.iter().map(|e| format!("{name}: {e}")).collect());
    }
    let (summary, description) = summary_and_description(spec.docs, spec.summary, spec.description);
    Ok(Operation {
        tags: spec.tags.iter().map(|t| (*t).to_owned()).collect(),
        summary,
        description,
        operation_id: spec.operation_id.unwrap_or(spec.handler).to_owned(),
        parameters: described.parameters,
        request_body: described.request_body,
        responses: described.responses,
        callbacks: Default::default(),
        deprecated: spec.deprecated,
        security: spec
            .security
            .map(security_requirements)
            .or_else(|| m.scope.security.clone()),
        extensions: BTreeMap::new(),
    })
}

/// The document's form of a `security(…)` attribute.
pub(crate) fn security_requirements(spec: SecuritySpec) -> Vec<SecurityRequirement> {
    spec.iter()
        .map(|(scheme, scopes)| {
            SecurityRequirement::from([(
                (*scheme).to_owned(),
                scopes.iter().map(|s| (*s).to_owned()).collect(),
            )])
        })
        .collect()
}

/// Every security requirement must name a declared scheme.
fn check_security(document: &OpenApi, problems: &mut Vec<String>) {
    let declared = &document.components.security_schemes;
    let mut check = |requirements: &[SecurityRequirement], place: &str| {
        for name in requirements.iter().flat_map(|r| r.keys()) {
            if !declared.contains_key(name) {
                problems.push(format!(
                    "{place} requires the security scheme `{name}`, which is not declared; \
                     declare it with `Api::security_scheme(\"{name}\", …)`"
                ));
            }
        }
    };
    check(&document.security, "the document");
    let mut visit = Vec::new();
    for (path, item) in &document.paths {
        visit.push((format!("`{path}`"), item));
    }
    for (name, item) in &document.webhooks {
        visit.push((format!("webhook `{name}`"), item));
    }
    for (name, item) in &document.components.path_items {
        visit.push((format!("callback `{name}`"), item));
    }
    while let Some((place, item)) = visit.pop() {
        for (method, operation) in item {
            if let Some(security) = &operation.security {
                check(security, &format!("`{}` {place}", method.to_uppercase()));
            }
            for callback in operation.callbacks.values() {
                for (url, item) in callback {
                    if let RefOr::Item(item) = item {
                        visit.push((format!("callback `{url}`"), item));
                    }
                }
            }
        }
    }
}

/// Who uses each operationId, to report a collision naming both.
#[derive(Default)]
struct OperationIds(BTreeMap<String, String>);

impl OperationIds {
    fn claim(&mut self, id: &str, owner: String, problems: &mut Vec<String>) {
        if let Some(first) = self.0.get(id) {
            problems.push(format!("operationId `{id}` is used by both {first} and {owner}; set `operation_id = \"…\"` on one of them"));
        } else {
            self.0.insert(id.to_owned(), owner);
        }
    }

    fn claim_callback(&mut self, name: &str, callback: &Callback, problems: &mut Vec<String>) {
        for (url, item) in callback {
            if let RefOr::Item(item) = item {
                self.claim_path_item(name, Some(url), item, problems);
            }
        }
    }

    /// The operationIds of a callback's request at `url` (`None` for one in
    /// `components/pathItems`, claimed once), nested callbacks too.
    fn claim_path_item(
        &mut self,
        name: &str,
        url: Option<&str>,
        item: &PathItem,
        problems: &mut Vec<String>,
    ) {
        for (method, operation) in item {
            let method = method.to_uppercase();
            let owner = match url {
                Some(url) => format!("callback `{name}` (`{method} {url}`)"),
                None => format!("callback `{name}` (`{method}`, in `components/pathItems`)"),
            };
            self.claim(&operation.operation_id, owner, problems);
            self.claim_callbacks(operation, problems);
        }
    }

    /// The operationIds of an operation's inline callbacks, nested ones too.
    fn claim_callbacks(&mut self, operation: &Operation, problems: &mut Vec<String>) {
        for (name, callback) in &operation.callbacks {
            self.claim_callback(name, callback, problems);
        }
    }
}

/// Every `$ref` in the document must point at something in it.
fn check_references(document: &OpenApi, problems: &mut Vec<String>) {
    let value = serde_json::to_value(document).expect("an OpenAPI document serializes");
    let mut refs = Vec::new();
    find_refs(&value, &mut refs);
    for reference in refs {
        let target = reference.strip_prefix('#').and_then(|p| value.pointer(p));
        if target.is_none() {
            problems.push(format!(
                "`$ref` to `{reference}` points at nothing in the document"
            ));
        }
    }
}

fn find_refs<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => find_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| find_refs(v, out)),
        _ => {}
    }
}
