use std::collections::BTreeMap;

use http::StatusCode;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use super::validation::HttpValidationError;
use crate::openapi::{Header, MediaType, Operation, Parameter, ParameterIn, RequestBody, Response};

/// Collects the parameters, request body and responses of one operation
/// while the document is assembled.
///
/// Generated `describe` functions call it; implementations of
/// [`ApiInput`](super::ApiInput) and [`ApiOutput`](super::ApiOutput) for
/// custom extractors and responders use it too.
pub struct OperationBuilder<'g> {
    generator: &'g mut SchemaGenerator,
    path_names: Vec<String>,
    parameters: Vec<Parameter>,
    request_body: Option<RequestBody>,
    responses: BTreeMap<String, Response>,
    /// A response kept only if no other is documented (see
    /// [`OperationBuilder::fallback_response`]).
    fallback: Option<(String, Response)>,
    validates_input: bool,
    errors: Vec<String>,
}

impl<'g> OperationBuilder<'g> {
    pub(crate) fn new(generator: &'g mut SchemaGenerator, path_names: Vec<String>) -> Self {
        OperationBuilder {
            generator,
            path_names,
            parameters: Vec::new(),
            request_body: None,
            responses: BTreeMap::new(),
            fallback: None,
            validates_input: false,
            errors: Vec::new(),
        }
    }

    /// The schema generator shared by the whole document.
    pub fn generator(&mut self) -> &mut SchemaGenerator {
        self.generator
    }

    /// Documents an input of the handler.
    pub fn input<I: super::ApiInput>(&mut self) -> &mut Self {
        I::describe(self);
        self
    }

    /// Documents the handler's return type as the response for `status`.
    pub fn output<O: super::ApiOutput>(&mut self, status: u16) -> &mut Self {
        O::describe(self, status);
        self
    }

    /// Declares that a malformed request gets the 422 validation-error
    /// response (done by the extractors that validate input).
    pub fn validates_input(&mut self) -> &mut Self {
        self.validates_input = true;
        self
    }

    /// Sets a JSON request body of schema `T`.
    pub fn json_body<T: JsonSchema>(&mut self) -> &mut Self {
        let schema = self.schema_for::<T>();
        self.json_body_schema(schema)
    }

    fn json_body_schema(&mut self, schema: Value) -> &mut Self {
        self.request_body = Some(RequestBody {
            content: BTreeMap::from([("application/json".to_owned(), MediaType { schema })]),
            required: true,
        });
        self
    }

    /// Adds a response with a JSON body of schema `T`.
    pub fn json_response<T: JsonSchema>(
        &mut self,
        status: u16,
        description: Option<&str>,
    ) -> &mut Self {
        let schema = self.schema_for::<T>();
        self.json_response_schema(status, description, schema)
    }

    fn json_response_schema(
        &mut self,
        status: u16,
        description: Option<&str>,
        schema: Value,
    ) -> &mut Self {
        self.insert_response(
            status.to_string(),
            Response::json(describe_status(status, description), schema),
        )
    }

    /// Adds the `default` response (any status not listed) with a JSON body
    /// of schema `T`.
    pub fn default_json_response<T: JsonSchema>(&mut self, description: &str) -> &mut Self {
        let schema = self.schema_for::<T>();
        self.insert_response("default".to_owned(), Response::json(description, schema))
    }

    /// Adds a response with a `text/plain` body.
    pub fn text_response(&mut self, status: u16, description: Option<&str>) -> &mut Self {
        let schema = serde_json::json!({"type": "string"});
        self.content_response(status, "text/plain", schema, description)
    }

    /// Adds a response with a body of `media_type` (`"text/html"`, say)
    /// described by the JSON Schema `schema`.
    pub fn content_response(
        &mut self,
        status: u16,
        media_type: &str,
        schema: Value,
        description: Option<&str>,
    ) -> &mut Self {
        let mut response = Response::empty(describe_status(status, description));
        response
            .content
            .insert(media_type.to_owned(), MediaType { schema });
        self.insert_response(status.to_string(), response)
    }

    /// Adds a response without a documented body.
    pub fn empty_response(&mut self, status: u16, description: Option<&str>) -> &mut Self {
        self.insert_response(
            status.to_string(),
            Response::empty(describe_status(status, description)),
        )
    }

    /// Documents a response without a body for `status`, used only when the
    /// operation documents no other response: return types that say nothing
    /// about the body (`HttpResponse`) give way to `responses(…)`.
    pub fn fallback_response(&mut self, status: u16) -> &mut Self {
        self.fallback = Some((
            status.to_string(),
            Response::empty(describe_status(status, None)),
        ));
        self
    }

    /// Whether a `default` response is documented.
    pub(crate) fn has_default_response(&self) -> bool {
        self.responses.contains_key("default")
    }

    /// What was described, as an operation with only its parameters,
    /// request body and responses set (see [`Self::take_responses`]; plus
    /// the 422 validation-error response when an input validates), and the
    /// problems found on the way.
    pub(crate) fn into_parts(mut self) -> (Operation, Vec<String>) {
        let mut responses = self.take_responses();
        if self.validates_input {
            let schema = self.schema_for::<HttpValidationError>();
            responses.insert("422".into(), Response::json("Validation Error", schema));
        }
        let operation = Operation {
            parameters: self.parameters,
            request_body: self.request_body,
            responses,
            ..Operation::default()
        };
        (operation, self.errors)
    }

    /// The parameters and the JSON request body's schema, the inputs a
    /// refused request is checked against.
    pub(crate) fn into_inputs(self) -> (Vec<Parameter>, Option<Value>) {
        let body = self
            .request_body
            .and_then(|mut b| b.content.remove("application/json"))
            .map(|media| media.schema);
        (self.parameters, body)
    }

    /// The responses, with the fallback when nothing else is documented,
    /// and FastAPI's "200 Successful Response" when even that is missing.
    fn take_responses(&mut self) -> BTreeMap<String, Response> {
        let mut responses = std::mem::take(&mut self.responses);
        if !responses.keys().any(|k| k != "default") {
            let (status, response) = self
                .fallback
                .take()
                .unwrap_or_else(|| ("200".to_owned(), Response::empty("Successful Response")));
            responses.insert(status, response);
        }
        responses
    }

    /// Sets the description of the response for `status`, keeping its body
    /// if one is already documented (by the return type); adds a response
    /// without a body otherwise.
    pub fn amend_response(&mut self, status: u16, description: Option<&str>) -> &mut Self {
        match self.responses.get_mut(&status.to_string()) {
            Some(response) => {
                if let Some(description) = description {
                    response.description = description.to_owned();
                }
                self
            }
            None => self.empty_response(status, description),
        }
    }

    /// Documents a header of the response for `status` (added before, by
    /// the return type or `responses(…)`).
    pub fn response_header(
        &mut self,
        status: u16,
        name: &str,
        description: Option<&str>,
    ) -> &mut Self {
        match self.responses.get_mut(&status.to_string()) {
            Some(response) => {
                response.headers.insert(
                    name.to_owned(),
                    Header {
                        description: description.map(str::to_owned),
                        schema: serde_json::json!({"type": "string"}),
                    },
                );
            }
            None => self.errors.push(format!(
                "the header `{name}` is declared for the response {status}, which is not declared"
            )),
        }
        self
    }

    /// Adds a response; a later one for the same status replaces the
    /// earlier (explicit `responses(…)` win over the return type).
    fn insert_response(&mut self, key: String, response: Response) -> &mut Self {
        self.responses.insert(key, response);
        self
    }

    /// Adds one parameter per property of `T`'s schema, read from `location`
    /// (query and path structs; `required` follows the schema).
    pub fn parameters_from<T: JsonSchema>(&mut self, location: ParameterIn) -> &mut Self {
        // The struct itself is not a component: only its fields are documented.
        let schema = T::json_schema(self.generator);
        let object = self.transformed(schema);
        self.parameters_from_schema(&object, location, &T::schema_name())
    }

    /// The work of [`parameters_from`](Self::parameters_from), compiled
    /// once rather than for every parameter type.
    fn parameters_from_schema(
        &mut self,
        object: &Value,
        location: ParameterIn,
        type_name: &str,
    ) -> &mut Self {
        let properties = object.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match properties {
            Some(properties) => {
                if location == ParameterIn::Path {
                    self.check_path_names(properties.keys(), type_name);
                }
                for (name, property) in properties {
                    let description = property
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    self.parameters.push(Parameter {
                        name: name.clone(),
                        location,
                        description,
                        required: location == ParameterIn::Path
                            || required.contains(&name.as_str()),
                        schema: property.clone(),
                    });
                }
            }
            None if location == ParameterIn::Path => return self.path_values(object),
            None => self.errors.push(format!(
                "the {location:?} extractor's type `{type_name}` is not a struct with named fields"
            )),
        }
        self
    }

    fn check_path_names<'a>(
        &mut self,
        fields: impl Iterator<Item = &'a String> + Clone,
        type_name: &str,
    ) {
        for field in fields.clone() {
            if !self.path_names.contains(field) {
                self.errors.push(format!(
                    "`Path<{type_name}>` reads `{field}`, which is not a `{{…}}` segment of the path"
                ));
            }
        }
        for name in &self.path_names {
            if !fields.clone().any(|f| f == name) {
                self.errors.push(format!(
                    "the path segment `{{{name}}}` is not a field of `Path<{type_name}>`"
                ));
            }
        }
    }

    /// Path parameters of a `Path<(A, B)>` tuple or a `Path<A>` value: named
    /// after the path's `{…}` segments, in order.
    fn path_values(&mut self, schema: &Value) -> &mut Self {
        let items: Vec<Value> = match schema.get("prefixItems").and_then(Value::as_array) {
            Some(items) => items.clone(),
            None => vec![schema.clone()],
        };
        if items.len() != self.path_names.len() {
            self.errors.push(format!(
                "the path has {} parameter(s) ({}) but the `Path` extractor reads {}",
                self.path_names.len(),
                self.path_names.join(", "),
                items.len()
            ));
            return self;
        }
        for (name, schema) in self.path_names.clone().into_iter().zip(items) {
            self.parameters.push(Parameter {
                name,
                location: ParameterIn::Path,
                description: None,
                required: true,
                schema,
            });
        }
        self
    }

    /// Adds one parameter.
    pub fn parameter(&mut self, parameter: Parameter) -> &mut Self {
        self.parameters.push(parameter);
        self
    }

    /// The schema of `T` (a `$ref` for named types).
    pub fn schema_for<T: JsonSchema>(&mut self) -> Value {
        let schema = self.generator.subschema_for::<T>();
        self.transformed(schema)
    }

    /// An inline schema with the generator's transforms applied, as
    /// schemars applies them to the named schemas (components).
    fn transformed(&mut self, mut schema: Schema) -> Value {
        for transform in self.generator.transforms_mut() {
            transform.transform(&mut schema);
        }
        schema.to_value()
    }
}

/// The description of a response: the given one, FastAPI's "Successful
/// Response" for 200, or the status's reason phrase.
fn describe_status(status: u16, description: Option<&str>) -> String {
    if let Some(description) = description {
        return description.to_owned();
    }
    if status == 200 {
        return "Successful Response".to_owned();
    }
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Response")
        .to_owned()
}
