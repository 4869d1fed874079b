//! The HTTP methods of an operation: the keys of an OpenAPI path item.

/// An HTTP method of an operation or a callback: one of the eight a path
/// item of an OpenAPI document can hold.
///
/// ```
/// use callback_expr::Method;
///
/// assert_eq!(Method::from_name("post"), Some(Method::Post));
/// assert_eq!(Method::Post.as_str(), "post");
/// assert_eq!(Method::Post.as_upper_str(), "POST");
/// assert_eq!(Method::from_name("fetch"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
}

impl Method {
    /// Every method, in the order of this type's variants.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Head,
        Method::Options,
        Method::Trace,
    ];

    /// The lower-case name: the key of an OpenAPI path item, and the name
    /// of the route attribute (`post`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
            Method::Head => "head",
            Method::Options => "options",
            Method::Trace => "trace",
        }
    }

    /// The upper-case name, as on the wire (`POST`).
    pub const fn as_upper_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
        }
    }

    /// The method whose lower-case name is `name`, as [`Method::as_str`]
    /// gives it.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::Method;

    #[test]
    fn names_round_trip() {
        for method in Method::ALL {
            assert_eq!(Method::from_name(method.as_str()), Some(method));
            assert_eq!(method.as_upper_str(), method.as_str().to_uppercase());
        }
        assert_eq!(Method::from_name("POST"), None);
    }
}
