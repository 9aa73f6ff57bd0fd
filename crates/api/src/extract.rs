//! Request extractors whose every failure is a problem+json answer: JSON
//! bodies, query strings, If-Match, Idempotency-Key, and the request id.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use spoke_domain::FieldError;

use crate::problem::ApiError;

/// The most a request body may hold.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Whether the body is declared JSON (`application/json` or a `+json`
/// type) in UTF-8, the only encoding JSON may travel in (RFC 8259): a
/// `charset` other than UTF-8 is refused rather than misread.
fn is_json(req: &HttpRequest) -> Result<(), ApiError> {
    let refuse = |why: &str| Err(ApiError::UnsupportedMediaType(why.to_owned()));
    let Ok(Some(mime)) = req.mime_type() else {
        return refuse("send the body as Content-Type: application/json");
    };
    let json = mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON));
    if !json {
        return refuse("send the body as Content-Type: application/json");
    }
    match mime.get_param(mime::CHARSET) {
        Some(charset) if charset != mime::UTF_8 => {
            refuse("JSON bodies are UTF-8: send charset=utf-8 or no charset")
        }
        _ => Ok(()),
    }
}

/// A JSON request body, parsed with the path of any field that failed.
/// Keeps the raw bytes for request fingerprints.
#[derive(Debug)]
pub struct ApiJson<T> {
    pub value: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            json?;
            let raw = body.await.map_err(|error| {
                if error.as_response_error().status_code().as_u16() == 413 {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::bad_request(format!("the request body could not be read: {error}"))
                }
            })?;
            let value = parse_json(&raw)?;
            Ok(ApiJson { value, raw })
        })
    }
}

/// Deserializes an already parsed JSON value, naming the failing field.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let field = error.path().to_string();
        data_error(field, &error.into_inner().to_string())
    })
}

/// A body that is JSON but not the request's shape, as a 422 naming the
/// field: a missing one by its own name (`required`), as every other
/// refusal of a required value is named.
fn data_error(path: String, message: &str) -> ApiError {
    let path = if path == "." { String::new() } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let (field, code) = match missing {
        Some(name) if path.is_empty() => (name.to_owned(), "required"),
        Some(name) => (format!("{path}.{name}"), "required"),
        None => (path, "invalid"),
    };
    ApiError::Validation(spoke_domain::FieldErrors(vec![FieldError {
        field,
        code: code.to_owned(),
        message: plain(message),
    }]))
}

/// A deserializer's message in the contract's words: no position (the
/// field's path says where) and no Rust type names (`i32`, `struct X`).
fn plain(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    };
    let mut words: Vec<String> = Vec::new();
    let mut rest = message.split(' ').peekable();
    while let Some(word) = rest.next() {
        let (core, tail) = word.split_at(word.trim_end_matches([',', ';', ')']).len());
        let said = match core {
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => {
                Some("an integer")
            }
            "f32" | "f64" => Some("a number"),
            "sequence" => Some("list"),
            "map" => Some("object"),
            "struct" | "enum" => {
                // `struct ClientPatch` or `enum Role`: the name is ours, not the contract's.
                let _ = rest.next();
                Some(if core == "struct" {
                    "an object"
                } else {
                    "one of the listed values"
                })
            }
            _ => None,
        };
        match said {
            Some(said) => {
                // "expected i32" reads "expected an integer"; "a sequence", "a list".
                if matches!(words.last().map(String::as_str), Some("a" | "an"))
                    && !matches!(core, "sequence" | "map")
                {
                    words.pop();
                }
                words.push(format!("{said}{tail}"));
            }
            None => words.push(word.to_owned()),
        }
    }
    words.join(" ")
}

/// Parses JSON, telling a malformed document (400) from a well-formed one
/// with wrong fields (422, with the field's path).
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    if has_escaped_nul(raw) {
        return Err(nul_refused(""));
    }
    if let Some((field, refusal)) = shape_refusal(raw) {
        let (code, message) = match refusal {
            Shape::DuplicateKey => (
                "duplicate_key",
                "appears more than once in its object; send each field once".to_owned(),
            ),
            Shape::StringTooLong => (
                "too_long",
                format!("no text in a request may be longer than {MAX_STRING_CHARS} characters"),
            ),
            Shape::TooManyItems => (
                "too_many_items",
                format!("no list in a request may hold more than {MAX_ARRAY_ITEMS} items"),
            ),
        };
        return Err(ApiError::invalid_field(&field, code, &message));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut deserializer);
    if value.is_ok() {
        deserializer.end().map_err(|error| {
            ApiError::bad_request(format!("the body is not valid JSON: {error}"))
        })?;
    }
    // JSON Schema counts `45.0` as an integer, and so do generated clients
    // that hold every number as a float: read such a body again with its
    // whole numbers as integers (only then, so other bodies pay nothing).
    if let Err(error) = &value
        && error
            .inner()
            .to_string()
            .starts_with("invalid type: floating point")
        && let Ok(mut whole) = serde_json::from_slice::<serde_json::Value>(raw)
    {
        whole_numbers(&mut whole);
        return from_value(whole);
    }
    value.map_err(|error| {
        let field = error.path().to_string();
        let inner = error.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request(format!("the body is not valid JSON: {inner}"))
            }
            Category::Data => data_error(field, &inner.to_string()),
        }
    })
}

/// Writes every whole number held as a float (`45.0`) as an integer.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9_007_199_254_740_992.0
            {
                // Exact: a whole f64 below 2^53 is an i64.
                #[allow(clippy::cast_possible_truncation)]
                let whole = f as i64;
                *value = Value::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// The longest text any field of a request body may hold (every field's own
/// limit is lower; this one holds before any field is looked at).
pub const MAX_STRING_CHARS: usize = 10_000;
/// The most items any list in a request body may hold.
pub const MAX_ARRAY_ITEMS: usize = 1_000;

/// What is wrong with a JSON document's shape, whatever its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A key appears twice in one object: serde keeps the last of them (and
    /// a flattened input type would too), so `{"given_name":"A","given_name":"B"}`
    /// must be refused, not read as B.
    DuplicateKey,
    StringTooLong,
    TooManyItems,
}

/// The path and kind of the first shape problem of a JSON document, found
/// in one linear pass before the typed parse, so no later work (validation,
/// a domain rule) ever sees an oversized input. `None` for a sound document,
/// or one that is not JSON (the typed parse reports that).
fn shape_refusal(raw: &[u8]) -> Option<(String, Shape)> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    /// Walks a value; `Err` carries the path of a duplicate key.
    struct Walk(String);

    impl<'de> DeserializeSeed<'de> for Walk {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Walk {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let path = if self.0.is_empty() {
                    key.to_string()
                } else {
                    format!("{}.{key}", self.0)
                };
                if !seen.insert(key) {
                    return Err(refuse(Shape::DuplicateKey, &path));
                }
                map.next_value_seed(Walk(path))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut index = 0;
            while seq
                .next_element_seed(Walk(format!("{}[{index}]", self.0)))?
                .is_some()
            {
                index += 1;
                if index > MAX_ARRAY_ITEMS {
                    return Err(refuse(Shape::TooManyItems, &self.0));
                }
            }
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
            if text.len() > MAX_STRING_CHARS && text.chars().count() > MAX_STRING_CHARS {
                return Err(refuse(Shape::StringTooLong, &self.0));
            }
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    }

    /// The walk stops with an error that carries the refusal in its text
    /// (serde's errors carry nothing else): a marker, the kind, the path.
    const MARK: &str = "\u{1}shape:";
    fn refuse<E: serde::de::Error>(shape: Shape, path: &str) -> E {
        E::custom(format!("{MARK}{}:{path}", shape as u8))
    }

    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let error = Walk(String::new()).deserialize(&mut deserializer).err()?;
    let text = error.to_string();
    let rest = &text[text.find(MARK)? + MARK.len()..];
    let (kind, rest) = rest.split_once(':')?;
    // serde_json appends " at line L column C".
    let path = rest.rsplit_once(" at line ").map_or(rest, |(path, _)| path);
    let shape = [
        Shape::DuplicateKey,
        Shape::StringTooLong,
        Shape::TooManyItems,
    ]
    .into_iter()
    .find(|shape| (*shape as u8).to_string() == kind)?;
    Some((path.to_owned(), shape))
}

/// Whether JSON text holds a NUL character: the escape `\u0000` (raw
/// control characters are not valid JSON), not preceded by an escaped
/// backslash.
fn has_escaped_nul(raw: &[u8]) -> bool {
    let pattern = b"u0000";
    raw.windows(pattern.len() + 1)
        .enumerate()
        .filter(|(_, window)| window[0] == b'\\' && &window[1..] == pattern)
        .any(|(at, _)| {
            // The escape counts when an odd number of backslashes ends at `at`.
            let backslashes = raw[..=at].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 1
        })
}

/// Text with a NUL character, refused on both backends alike (PostgreSQL
/// cannot store it).
fn nul_refused(field: &str) -> ApiError {
    ApiError::Validation(spoke_domain::FieldErrors(vec![FieldError {
        field: field.to_owned(),
        code: "nul_character".to_owned(),
        message: "text may not contain the NUL character".to_owned(),
    }]))
}

/// A query string, parsed with the name of any parameter that failed.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string().as_bytes();
        if let Some((name, _)) = form_urlencoded::parse(query)
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return ready(Err(nul_refused(&name.replace('\0', ""))));
        }
        let pairs = form_urlencoded::parse(query);
        let result = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs))
            .map(ApiQuery)
            .map_err(|error| {
                let field = error.path().to_string();
                let message = error.into_inner().to_string();
                ApiError::BadRequest {
                    detail: format!("invalid query parameter: {message}"),
                    errors: vec![FieldError {
                        field: if field == "." { String::new() } else { field },
                        code: "invalid".to_owned(),
                        message,
                    }],
                }
            });
        ready(result)
    }
}

/// The strong ETag of a resource at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// A header parameter for the OpenAPI document.
pub(crate) fn header_parameter(
    name: &str,
    required: bool,
    description: &str,
    example: &str,
) -> utoipa::openapi::path::Parameter {
    header_parameter_with(
        name,
        required,
        description,
        example,
        utoipa::openapi::schema::ObjectBuilder::new(),
    )
}

/// A header parameter whose value the schema `value` constrains.
fn header_parameter_with(
    name: &str,
    required: bool,
    description: &str,
    example: &str,
    value: utoipa::openapi::schema::ObjectBuilder,
) -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::Required;
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::Type;
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(value.schema_type(Type::String)))
        .example(Some(serde_json::Value::from(example)))
        .build()
}

/// The `If-Match` precondition every update needs.
#[derive(Debug, Clone)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    /// Passes when the resource at `version` is what the client last saw.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        let current = etag(version);
        match self {
            IfMatch::Any => Ok(()),
            IfMatch::Tags(tags) if tags.contains(&current) => Ok(()),
            IfMatch::Tags(_) => Err(ApiError::PreconditionFailed),
        }
    }
}

impl utoipa::IntoParams for IfMatch {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![header_parameter(
            "If-Match",
            true,
            "The resource's current ETag, as last read. Without it the change is refused (428); \
             when the resource changed since, too (412).",
            "\"3\"",
        )]
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::IF_MATCH) else {
            return ready(Err(ApiError::PreconditionRequired));
        };
        let Ok(value) = value.to_str() else {
            return ready(Err(ApiError::bad_request(
                "If-Match is not a valid header value",
            )));
        };
        if value.trim() == "*" {
            return ready(Ok(IfMatch::Any));
        }
        // Weak tags never match under If-Match (RFC 9110 strong comparison);
        // they are kept and simply fail to match.
        let tags = value
            .split(',')
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect::<Vec<_>>();
        if tags.is_empty() {
            return ready(Err(ApiError::PreconditionRequired));
        }
        ready(Ok(IfMatch::Tags(tags)))
    }
}

/// The optional `Idempotency-Key` of a creating request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl utoipa::IntoParams for IdempotencyKey {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        vec![header_parameter_with(
            "Idempotency-Key",
            false,
            "Makes the request safe to retry: the same key and body returns the first response; \
             the same key with another body is a 422. 1 to 255 visible ASCII characters, per user.",
            "intake-2026-11-26-001",
            utoipa::openapi::schema::ObjectBuilder::new()
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[\\x21-\\x7E]+$")),
        )]
    }
}

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(value) => match value.to_str() {
                Ok(key)
                    if !key.trim().is_empty()
                        && key.len() <= 255
                        && key.chars().all(|c| c.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(key.to_owned())))
                }
                _ => Err(ApiError::BadRequest {
                    detail: "Idempotency-Key must be 1 to 255 visible ASCII characters".to_owned(),
                    errors: Vec::new(),
                }),
            },
        };
        ready(result)
    }
}

/// The id of the request, from `X-Request-Id` or generated.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<RequestId>()
                .cloned()
                .ok_or_else(|| ApiError::internal("request id middleware missing")),
        )
    }
}

/// The default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The query of a list with no filters: a page size and where to go on.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    /// The checked page size and decoded position (see [`page_request`]).
    pub fn request<K: DeserializeOwned>(&self) -> Result<(usize, Option<K>), ApiError> {
        page_request(self.limit, self.cursor.as_deref())
    }
}

/// A checked `limit` and decoded `cursor` (a position of type `K`).
pub fn page_request<K: DeserializeOwned>(
    limit: Option<u32>,
    cursor: Option<&str>,
) -> Result<(usize, Option<K>), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest {
            detail: format!("limit must be between 1 and {MAX_LIMIT}"),
            errors: vec![FieldError {
                field: "limit".to_owned(),
                code: "out_of_range".to_owned(),
                message: format!("must be between 1 and {MAX_LIMIT}"),
            }],
        });
    }
    // An empty `cursor=` is the first page, as if it were absent.
    let after = cursor
        .filter(|cursor| !cursor.is_empty())
        .map(decode_cursor)
        .transpose()?;
    Ok((limit as usize, after))
}

/// Cursors are opaque to clients: base64url of the keyset position.
pub fn encode_cursor<K: serde::Serialize>(keyset: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(keyset).unwrap_or_default())
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::BadRequest {
            detail: "the cursor is not one this API issued".to_owned(),
            errors: vec![FieldError {
                field: "cursor".to_owned(),
                code: "invalid".to_owned(),
                message: "pass back next_cursor exactly as received".to_owned(),
            }],
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn duplicate_keys_are_found_with_their_path() {
        let duplicate = |raw: &[u8]| match shape_refusal(raw) {
            Some((path, Shape::DuplicateKey)) => Some(path),
            _ => None,
        };
        assert_eq!(duplicate(br#"{"a":1,"a":2}"#).as_deref(), Some("a"));
        assert_eq!(
            duplicate(br#"{"a":{"b":[{"c":1},{"c":1,"c":2}]}}"#).as_deref(),
            Some("a.b[1].c")
        );
        assert_eq!(shape_refusal(br#"{"a":{"a":1},"b":[1,{"a":2}]}"#), None);
        assert_eq!(duplicate(br#"{"a\u0062":1,"ab":2}"#).as_deref(), Some("ab"));
        assert_eq!(shape_refusal(b"not json"), None);
    }

    #[test]
    fn oversized_strings_and_lists_are_found_before_any_typed_parse() {
        let long = format!(
            r#"{{"a":[{{"b":"{}"}}]}}"#,
            "é".repeat(MAX_STRING_CHARS + 1)
        );
        assert_eq!(
            shape_refusal(long.as_bytes()),
            Some(("a[0].b".to_owned(), Shape::StringTooLong))
        );
        let fits = format!(r#"{{"b":"{}"}}"#, "é".repeat(MAX_STRING_CHARS));
        assert_eq!(shape_refusal(fits.as_bytes()), None);
        let many = format!(
            r#"{{"ids":[{}]}}"#,
            vec!["1"; MAX_ARRAY_ITEMS + 1].join(",")
        );
        assert_eq!(
            shape_refusal(many.as_bytes()),
            Some(("ids".to_owned(), Shape::TooManyItems))
        );
        let enough = format!("[{}]", vec!["1"; MAX_ARRAY_ITEMS].join(","));
        assert_eq!(shape_refusal(enough.as_bytes()), None);
    }

    use super::{MAX_ARRAY_ITEMS, MAX_STRING_CHARS, Shape, has_escaped_nul, plain, shape_refusal};

    #[test]
    fn deserializer_messages_speak_the_contract() {
        assert_eq!(
            plain("invalid type: string \"x\", expected i32 at line 1 column 96"),
            "invalid type: string \"x\", expected an integer"
        );
        assert_eq!(
            plain("invalid type: map, expected a sequence at line 1 column 5"),
            "invalid type: object, expected a list"
        );
        assert_eq!(
            plain("invalid type: integer `3`, expected struct AddressInput"),
            "invalid type: integer `3`, expected an object"
        );
        assert_eq!(
            plain("missing field `family_name`"),
            "missing field `family_name`"
        );
    }

    #[test]
    fn only_an_escaped_nul_counts() {
        assert!(has_escaped_nul(br#"{"a": "x\u0000y"}"#));
        assert!(has_escaped_nul(br#"{"a": "\\\u0000"}"#));
        assert!(
            !has_escaped_nul(br#"{"a": "\\u0000"}"#),
            "an escaped backslash, then text"
        );
        assert!(!has_escaped_nul(br#"{"a": "u0000 \u0041"}"#));
    }
}
