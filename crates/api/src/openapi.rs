//! The OpenAPI document. Paths come from the routes themselves (registered
//! through utoipa-actix-web); this module adds what is shared: the API's
//! description, tags, the bearer scheme and the problem+json responses.

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{
    ClientCredentials, Flow, HttpAuthScheme, HttpBuilder, OAuth2, Scopes, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{OpenApi, ToResponse};

use crate::problem::{PROBLEM_JSON, Problem};

fn problem_response(description: &str, example: serde_json::Value) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
        .into()
}

macro_rules! problem_responses {
    ($($name:ident = $status:literal, $type:literal, $title:literal, $description:literal, $detail:literal;)*) => {
        $(
            #[doc = $description]
            #[derive(Debug)]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    let example = serde_json::json!({
                        "type": $type,
                        "title": $title,
                        "status": $status,
                        "detail": $detail,
                        "instance": "/v1/clients/01936b2e-6f1a-7cc3-9a51-3f0b4f4d2a10",
                        "request_id": "01936b2e-7a10-7f55-b1a8-9c3d2e1f0a44"
                    });
                    (stringify!($name), problem_response($description, example))
                }
            }
        )*

        /// Every shared problem response, for the document's components.
        fn problem_components() -> Vec<(String, RefOr<Response>)> {
            vec![$({
                let (name, response) = <$name as ToResponse>::response();
                (name.to_owned(), response)
            }),*]
        }
    };
}

problem_responses! {
    BadRequest = 400, "/problems/malformed-request", "The request is malformed",
        "The request is malformed: a body that is not JSON, or a bad path, query or header value.",
        "the body is not valid JSON: it ends before the object does";
    Unauthorized = 401, "about:blank", "Unauthorized",
        "No valid bearer token: missing, expired, badly signed, or for a user who no longer exists.",
        "the access token is invalid or expired";
    Forbidden = 403, "about:blank", "Forbidden",
        "The signed-in user may see this resource but may not do this to it; or the token is of the other kind (a partner token on a staff operation, or the reverse).",
        "only the client's primary case manager or the team's supervisor may change this client";
    NotFound = 404, "about:blank", "Not Found",
        "No such resource, or the signed-in user may not see it: the two are indistinguishable on purpose.",
        "no such resource, or you may not see it";
    Conflict = 409, "about:blank", "Conflict",
        "The request conflicts with the resource's current state.",
        "a user with this email already exists";
    PayloadTooLarge = 413, "about:blank", "Payload Too Large",
        "The request body is over 1 MiB.",
        "request bodies may be at most 1 MiB";
    UnsupportedMediaType = 415, "about:blank", "Unsupported Media Type",
        "The request body is not JSON in UTF-8 (send Content-Type: application/json, with no charset or charset=utf-8).",
        "send the body as Content-Type: application/json";
    PreconditionFailed = 412, "/problems/stale-etag", "The resource has changed",
        "The If-Match ETag is not the current one: someone changed the resource since you read it.",
        "the If-Match ETag is not the current one: read the resource again and reapply your change";
    ValidationFailed = 422, "/problems/validation", "The request is not valid",
        "Some fields are invalid; `errors` lists each one (an unknown field, or a key sent twice in one object, is named too). Also returned when an Idempotency-Key is reused with a different body.",
        "1 field(s) are invalid";
    PreconditionRequired = 428, "/problems/if-match-required", "If-Match is required",
        "Changes need the resource's current ETag in If-Match.",
        "send the resource's current ETag in If-Match to change it";
    TooManyRequests = 429, "about:blank", "Too Many Requests",
        "Too many attempts; wait for the number of seconds in Retry-After.",
        "too many attempts; try again in 600 seconds";
    InternalError = 500, "about:blank", "Internal Server Error",
        "Something failed on the server. The body says nothing of the cause; quote the request id.",
        "something went wrong on our side; quote the request id when reporting it";
    ServiceUnavailable = 503, "about:blank", "Service Unavailable",
        "The database cannot be reached (down, unreachable, or saturated past the connection checkout timeout). Nothing was done; retry after the seconds in Retry-After.",
        "the database cannot be reached; retry after the seconds in Retry-After";
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Spoke",
        description = "Spoke is the backend for community case management in social services and health care: \
clients and their needs, the staff who serve them, and every disclosure and change kept in an audit log.\n\n\
**Signing in.** `POST /v1/auth/login` with an email and password returns a short-lived bearer token; send it as \
`Authorization: Bearer <token>` on every other `/v1` call.\n\n\
**Errors.** Every error is an RFC 9457 `application/problem+json` document. Validation failures are 422 with one \
entry per invalid field in `errors`.\n\n\
**Text.** Text is trimmed before it is checked and stored. No text may contain NUL (U+0000); names, titles and \
other one-line text may not contain control characters, and longer text allows only line breaks and tabs. \
Either is a 422.\n\n\
**Numbers.** An integer may be written with a zero fraction (`45.0` is `45`), as JSON Schema counts it; \
`45.5` where an integer is due is a 422 on that field.\n\n\
**Concurrency.** Mutable resources carry an `ETag`; changes need it in `If-Match` (428 without, 412 when stale). \
Creating requests accept an `Idempotency-Key` header: a retry with the same key and body returns the first response.\n\n\
**Lists** are keyset-paginated: pass `next_cursor` back as `cursor` until it is null.\n\n\
**Tracing.** Every answer carries `X-Request-Id` (yours when you send one, else your `traceparent`'s trace id, \
else a new one), quoted in every log line and problem, and a W3C `traceparent` continuing your trace.\n\n\
**Privacy.** Users see only the clients their role and team allow; anything else is a 404, never a hint that it exists.",
        version = env!("CARGO_PKG_VERSION"),
    ),
    servers((url = "/", description = "The server that serves this document")),
    tags(
        (name = "auth", description = "Signing in and the signed-in user."),
        (name = "clients", description = "The people served: demographics, contact, risk flags, status and case manager."),
        (name = "staff", description = "Staff users and teams. Admins manage them; supervisors read their own team."),
        (name = "audit", description = "The append-only log of who read or changed which client record."),
        (name = "directory", description = "The community resource directory, after Open Referral HSDS 3.0: organizations, \
their services and locations, capacity, and the service taxonomy. Every staff role searches it; admins and supervisors keep it."),
        (name = "care", description = "The people around a client: care-team members (staff and outside professionals, \
            each for a period) and natural supports. A care-team member user reads exactly the clients whose care team they are on."),
        (name = "assessments", description = "Assessment instruments as data (the Self-Sufficiency Matrix built in), clients' \
            assessments per life domain, draft then final, and the trend of their scores."),
        (name = "plans", description = "Service plans made with the client: goals in their own words, tasks with who does \
            them, review dates, agreement, optional supervisor approval; activating a plan supersedes the active one."),
        (name = "appointments", description = "Getting the client there: appointments with whom and where, kept, missed, \
            cancelled or rescheduled; the ride to each, requested, arranged and completed; calendars across clients, \
            the dispatcher's day, and iCalendar feeds for staff's calendar apps."),
        (name = "benefits", description = "Getting applications through: SSI, SNAP, Medicaid, housing vouchers and the \
            rest, from the documents gathered to the decision, the appeal and the recertification, with every change \
            in the history and the dates coming due across clients."),
        (name = "contacts", description = "The record of the work: visits, calls, rides and time beside the client, \
            who took part, what was done for which goals; signed by their author and never changed after, corrected by \
            amendment; what each bills as Medicaid targeted case management is decided when it is signed."),
        (name = "billing", description = "Medicaid targeted case management billing: each payer's rules as versioned \
            configurations, and claim batches made from signed, billable contacts (JSON or CSV), exported, answered line \
            by line, voided. Admins and billing staff."),
        (name = "critical-events", description = "What case management works to prevent: hospitalizations, emergency \
            visits, crises, detox, residential treatment, arrests and jail, a lost home, overdoses, suicide attempts, \
            victimization, death. Each with its facility, dates and sensitivity; a stay's length, and for a psychiatric \
            discharge the follow-up contact within 7 days."),
        (name = "transfers", description = "Handing a client to another team or case manager: the sending side asks with \
            a transfer summary, the receiving team's supervisor accepts (naming the new case manager) or declines; who \
            held each client, and when, is kept."),
        (name = "alerts", description = "Early warning and the worklist: rules (versioned data the agency tunes) watch \
            each client's record for the signs of a coming crisis (no contact, missed appointments, a falling assessment, \
            a hospitalization, a psychiatric discharge without follow-up, referrals stuck, dates coming due) and raise \
            alerts that explain themselves, resolve on their own when the facts change, and escalate to the supervisors \
            when nobody answers; each client's explainable acuity score; the worklist of what needs someone today."),
        (name = "residences", description = "Where a client lives, one place at a time, each setting community or \
            institutional; and community tenure, the days of a period spent in the community rather than in a hospital, \
            treatment, jail or another institution."),
        (name = "referrals", description = "Consents and closed-loop referrals after the HL7 Gravity SDOH workflow: staff \
            draft, send (only under a covering consent) and cancel; the history of every move; the accounting of disclosures."),
        (name = "partners", description = "Partner organizations: API clients and the OAuth 2.0 client credentials grant, \
            the referrals sent to the partner, its moves and capacity reports, and signed webhooks."),
        (name = "health", description = "Liveness and readiness probes for orchestrators."),
    ),
    components(schemas(Problem, spoke_domain::FieldError, crate::webhooks::WebhookPayload)),
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Finishes the collected document: the bearer scheme, the shared problem
/// responses, and a 500 on every operation (401 on every secured one).
pub fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    // utoipa fills the license from Cargo metadata; Spoke declares none.
    api.info.license = None;
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("An access token from POST /v1/auth/login."))
                .build(),
        ),
    );
    components.add_security_scheme(
        "partner",
        SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::ClientCredentials(ClientCredentials::new(
                "/v1/oauth/token",
                Scopes::new(),
            ))],
            "A partner organization's system: the OAuth 2.0 client credentials grant at /v1/oauth/token with \
             the client_id and client_secret an admin issued (POST /v1/organizations/{id}/api-clients).",
        )),
    );
    for (name, mut response) in problem_components() {
        if let RefOr::T(response) = &mut response
            && matches!(name.as_str(), "TooManyRequests" | "ServiceUnavailable")
        {
            response.headers.insert(
                "Retry-After".to_owned(),
                HeaderBuilder::new()
                    .schema(Some(
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(1)),
                    ))
                    .description(Some("Seconds to wait before trying again."))
                    .build()
                    .into(),
            );
        }
        components.responses.insert(name, response);
    }
    finish_pages(components);
    for item in api.paths.paths.values_mut() {
        for (method, operation) in operations_mut(item) {
            add_shared_responses(operation, method != "get");
        }
    }
    bound_request_bodies(&mut api);
    add_links(&mut api);
    example_parameters(&mut api);
    api.webhooks = Some(webhooks());
    api
}

/// Every operation of a path, with its method in lower case.
pub(crate) fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("get", &item.get),
        ("put", &item.put),
        ("post", &item.post),
        ("patch", &item.patch),
        ("delete", &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
}

/// [`operations`], to change them.
fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("patch", &mut item.patch),
        ("delete", &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// An example for every parameter whose schema gives one honestly: an id's
/// or an enum's own example, the first of an enum's values, a page size of
/// 20, a date, a moment, `true`. Free text and cursors stay without one (a
/// made-up cursor is refused).
fn example_parameters(api: &mut utoipa::openapi::OpenApi) {
    use serde_json::{Value, json};
    use utoipa::openapi::path::ParameterBuilder;

    let components: std::collections::BTreeMap<String, Value> = api
        .components
        .as_ref()
        .map(|c| {
            c.schemas
                .iter()
                .filter_map(|(name, schema)| {
                    Some((name.clone(), serde_json::to_value(schema).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let derive = |name: &str, schema: &Value| -> Option<Value> {
        let schema = match schema["$ref"].as_str() {
            Some(reference) => components.get(reference.rsplit('/').next()?)?,
            None => schema,
        };
        if let Some(example) = schema.get("example") {
            return Some(example.clone());
        }
        if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
            return Some(first.clone());
        }
        let kind = match &schema["type"] {
            Value::String(kind) => kind.clone(),
            Value::Array(kinds) => kinds
                .iter()
                .filter_map(Value::as_str)
                .find(|kind| *kind != "null")?
                .to_owned(),
            _ => return None,
        };
        match (kind.as_str(), schema["format"].as_str()) {
            ("integer", _) if name == "limit" => Some(json!(20)),
            ("integer", _) => schema.get("minimum").cloned(),
            ("boolean", _) => Some(json!(true)),
            ("string", Some("date")) => Some(json!("2026-12-01")),
            ("string", Some("date-time")) => Some(json!("2026-12-01T00:00:00Z")),
            _ => None,
        }
    };
    for item in api.paths.paths.values_mut() {
        for (_, operation) in operations_mut(item) {
            for parameter in operation.parameters.iter_mut().flatten() {
                let RefOr::T(parameter) = parameter else {
                    continue;
                };
                let Ok(described) = serde_json::to_value(&*parameter) else {
                    continue;
                };
                if described.get("example").is_some() || described.get("examples").is_some() {
                    continue;
                }
                let name = described["name"].as_str().unwrap_or_default();
                if let Some(example) = derive(name, &described["schema"]) {
                    let builder: ParameterBuilder = parameter.clone().into();
                    *parameter = builder.example(Some(example)).build();
                }
            }
        }
    }
}

/// OpenAPI `links`, so a client or a stateful test can follow what it
/// created: a `201` of `POST /x` links to each operation on `/x/{id}` with
/// the new `id`, and a `GET /x/{id}` links to the changes on the same path.
/// Path parameters the two share are passed through.
fn add_links(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::link::LinkBuilder;

    fn parameters(path: &str) -> Vec<String> {
        path.split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect()
    }

    // (path, status, link name, link) to add.
    let mut found: Vec<(String, &'static str, String, utoipa::openapi::link::Link)> = Vec::new();
    let paths = &api.paths.paths;
    for (path, item) in paths {
        // Children: `{path}/{param}`, one parameter segment deeper.
        for (child, child_item) in paths {
            let Some(rest) = child.strip_prefix(path.as_str()) else {
                continue;
            };
            let Some(new_id) = rest
                .strip_prefix("/{")
                .and_then(|r| r.strip_suffix('}'))
                .filter(|r| !r.contains('/'))
            else {
                continue;
            };
            if item.post.is_none() {
                continue;
            }
            for (method, target) in operations(child_item) {
                if method == "post" {
                    continue;
                }
                let Some(id) = &target.operation_id else {
                    continue;
                };
                let mut link = LinkBuilder::new()
                    .operation_id(id.clone())
                    .description(format!("{method} what was created"));
                for name in parameters(child) {
                    let value = if name == new_id {
                        "$response.body#/id".to_owned()
                    } else {
                        format!("$request.path.{name}")
                    };
                    link = link.parameter(name, value);
                }
                found.push((path.clone(), "201", id.clone(), link.build()));
            }
        }
        // A read links to the changes of the same resource.
        if item.get.is_some() && !parameters(path).is_empty() {
            for (method, target) in operations(item) {
                if matches!(method, "get" | "post") {
                    continue;
                }
                let Some(id) = &target.operation_id else {
                    continue;
                };
                let mut link = LinkBuilder::new()
                    .operation_id(id.clone())
                    .description(format!(
                        "{method} what was read (its ETag goes in If-Match)"
                    ));
                for name in parameters(path) {
                    link = link.parameter(name.clone(), format!("$request.path.{name}"));
                }
                found.push((path.clone(), "200", id.clone(), link.build()));
            }
        }
    }
    for (path, status, name, link) in found {
        let Some(item) = api.paths.paths.get_mut(&path) else {
            continue;
        };
        let operation = if status == "201" {
            item.post.as_mut()
        } else {
            item.get.as_mut()
        };
        if let Some(RefOr::T(response)) =
            operation.and_then(|op| op.responses.responses.get_mut(status))
        {
            response.links.insert(name, RefOr::T(link));
        }
    }
}

/// The OpenAPI 3.1 `webhooks`: each event Spoke posts to a subscription,
/// its body and its signature headers.
fn webhooks() -> utoipa::openapi::Paths {
    use spoke_domain::partner::WebhookEvent;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{PathsBuilder, Required};

    let header = crate::extract::header_parameter;
    let mut paths = PathsBuilder::new();
    for event in WebhookEvent::ALL {
        let what = match event {
            WebhookEvent::ReferralCreated => {
                "A referral was sent to the organization (or, for an admin subscription, drafted)."
            }
            WebhookEvent::ReferralStatusChanged => {
                "A referral moved: accepted, rejected, in progress, completed, cancelled."
            }
            WebhookEvent::ReferralUpdated => {
                "A referral's content changed while its loop was open."
            }
        };
        let operation = OperationBuilder::new()
            .operation_id(Some(format!("on_{}", event.as_str().replace('.', "_"))))
            .tag("partners")
            .summary(Some(event.as_str()))
            .description(Some(format!(
                "{what} Spoke POSTs this to the subscription's URL, in order per referral. Verify \
                 `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{{webhook-id}}.{{webhook-timestamp}}.{{body}}` \
                 under the secret's base64-decoded bytes) and drop duplicates by `webhook-id`: a delivery \
                 may come more than once."
            )))
            .parameters(Some([
                header("webhook-id", true, "The event's id: the same for every retry and subscription.", "01936b38-1a00-7c11-8d22-3e4f5a6b7c8d"),
                header("webhook-timestamp", true, "Seconds since the epoch when this attempt was signed.", "1764604800"),
                header("webhook-signature", true, "`v1,` and the base64 HMAC-SHA256 signature.", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            ]))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("WebhookPayload")))
                            .build(),
                    )
                    .required(Some(Required::True))
                    .build(),
            ))
            .response(
                "2XX",
                ResponseBuilder::new().description("Received: any 2xx acknowledges the delivery."),
            )
            .response(
                "default",
                ResponseBuilder::new().description(
                    "Anything else, or no answer within 10 seconds, is retried with exponential backoff for \
                     about 32 hours, then the delivery is marked failed.",
                ),
            )
            .build();
        paths = paths.path(event.as_str(), PathItem::new(HttpMethod::Post, operation));
    }
    paths.build()
}

/// Every string and list a request body may carry is bounded in the
/// contract, as the server bounds it (`extract::MAX_STRING_CHARS`,
/// `MAX_ARRAY_ITEMS`, checked before anything else reads the body): a field
/// that declares no tighter limit of its own gets the global one.
fn bound_request_bodies(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{
        AdditionalProperties, ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type,
    };

    fn is(kind: &SchemaType, wanted: Type) -> bool {
        match kind {
            SchemaType::Type(one) => *one == wanted,
            SchemaType::Array(many) => many.contains(&wanted),
            SchemaType::AnyValue => false,
        }
    }

    fn name_of(reference: &Ref) -> String {
        reference
            .ref_location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// Bounds `schema` in place, and closes its objects when `close`; the
    /// components it refers to go on `refs`.
    fn bound(schema: &mut RefOr<Schema>, close: bool, refs: &mut Vec<String>) {
        let schema = match schema {
            RefOr::Ref(reference) => {
                refs.push(name_of(reference));
                return;
            }
            RefOr::T(schema) => schema,
        };
        match schema {
            Schema::Object(object) => {
                let fixed_form = matches!(
                    object.format,
                    Some(SchemaFormat::KnownFormat(
                        KnownFormat::Date | KnownFormat::DateTime | KnownFormat::Uuid
                    ))
                );
                if is(&object.schema_type, Type::String)
                    && object.max_length.is_none()
                    && object.enum_values.is_none()
                    && !fixed_form
                {
                    object.max_length = Some(crate::extract::MAX_STRING_CHARS);
                }
                if close && !object.properties.is_empty() && object.additional_properties.is_none()
                {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
                for property in object.properties.values_mut() {
                    bound(property, true, refs);
                }
            }
            Schema::Array(array) => {
                if array.max_items.is_none() {
                    array.max_items = Some(crate::extract::MAX_ARRAY_ITEMS);
                }
                if let ArrayItems::RefOrSchema(items) = &mut array.items {
                    bound(items, true, refs);
                }
            }
            Schema::OneOf(one) => one.items.iter_mut().for_each(|s| bound(s, close, refs)),
            Schema::AllOf(all) => all.items.iter_mut().for_each(|s| bound(s, false, refs)),
            Schema::AnyOf(any) => any.items.iter_mut().for_each(|s| bound(s, close, refs)),
            _ => {}
        }
    }

    // The parts of an `allOf` stay open wherever they are used.
    let parts: std::collections::HashSet<String> = api
        .components
        .iter()
        .flat_map(|c| c.schemas.values())
        .filter_map(|schema| match schema {
            RefOr::T(Schema::AllOf(all)) => Some(all.items.iter()),
            _ => None,
        })
        .flatten()
        .filter_map(|item| match item {
            RefOr::Ref(reference) => Some(name_of(reference)),
            RefOr::T(_) => None,
        })
        .collect();
    // And so do forms (the OAuth token request: RFC 6749 ignores unknown
    // parameters).
    let mut forms = std::collections::HashSet::new();
    let mut refs = Vec::new();
    for item in api.paths.paths.values_mut() {
        for (_, operation) in operations_mut(item) {
            let Some(RefOr::T(body)) = &mut operation.request_body else {
                continue;
            };
            for (media_type, content) in body.content.iter_mut() {
                if let RefOr::T(content) = content
                    && let Some(schema) = &mut content.schema
                {
                    let json = media_type.ends_with("json");
                    if let (false, RefOr::Ref(reference)) = (json, &*schema) {
                        forms.insert(name_of(reference));
                    }
                    bound(schema, json, &mut refs);
                }
            }
        }
    }
    let Some(components) = api.components.as_mut() else {
        return;
    };
    let mut done = std::collections::HashSet::new();
    while let Some(name) = refs.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let close = !parts.contains(&name) && !forms.contains(&name);
        if let Some(schema) = components.schemas.get_mut(&name) {
            bound(schema, close, &mut refs);
        }
    }
}

/// Each `Page_X` schema (from the generic `Page<T>`) gets its items as a
/// reference to `X`, not an inlined copy, so generated clients share one
/// type; and an example page holding `X`'s example.
fn finish_pages(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{ArrayBuilder, Schema};
    let pages: Vec<(String, String, Option<serde_json::Value>)> = components
        .schemas
        .keys()
        .filter_map(|name| {
            let item_name = name.strip_prefix("Page_")?;
            let item = components.schemas.get(item_name)?;
            // Whatever the item's schema kind (object, allOf...), its example.
            let example = serde_json::to_value(item).ok()?.get("example").cloned();
            Some((name.clone(), item_name.to_owned(), example))
        })
        .collect();
    for (name, item_name, example) in pages {
        if let Some(RefOr::T(Schema::Object(page))) = components.schemas.get_mut(&name) {
            page.properties.insert(
                "items".to_owned(),
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(&item_name))
                    .into(),
            );
            page.example = example.map(|example| {
                serde_json::json!({
                    "items": [example],
                    "next_cursor": "eyJhdCI6IjIwMjYtMTEtMjZUMDk6MzA6MDBaIiwiaWQiOiIwMTkzNmIyZSJ9"
                })
            });
        }
    }
}

/// Adds the problems an operation can meet by its shape alone, so no
/// operation's documentation can forget them: any body can be malformed,
/// too large, of the wrong type or invalid; a path id can be malformed or
/// unknown; a query can be malformed; If-Match can be missing or stale; a
/// secured operation can meet a bad token; anything can fail inside.
/// `changes`: the operation changes something (not a GET), and so may meet
/// a domain rule that refuses it (422) even without a body.
fn add_shared_responses(operation: &mut Operation, changes: bool) {
    use utoipa::openapi::path::ParameterIn;
    // `security: [{}]` marks a public operation; any named scheme secures it.
    let secured = operation.security.as_ref().is_some_and(|requirements| {
        requirements.iter().any(|requirement| {
            serde_json::to_value(requirement)
                .is_ok_and(|value| value.as_object().is_some_and(|schemes| !schemes.is_empty()))
        })
    });
    let parameters: Vec<&utoipa::openapi::path::Parameter> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|parameter| match parameter {
            RefOr::T(parameter) => Some(parameter),
            RefOr::Ref(_) => None,
        })
        .collect();
    let has = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let has_path = has(ParameterIn::Path);
    let has_query = has(ParameterIn::Query);
    let has_if_match = parameters
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case("if-match"));
    let has_body = operation.request_body.is_some();

    let mut shared: Vec<(&str, &str)> = Vec::new();
    if has_body || has_path || has_query {
        shared.push(("400", "BadRequest"));
    }
    if secured {
        shared.push(("401", "Unauthorized"));
        // A token of the other kind (a partner's on a staff operation, or
        // the reverse), or a role the operation is not for.
        shared.push(("403", "Forbidden"));
    }
    if has_path {
        shared.push(("404", "NotFound"));
    }
    if has_if_match {
        shared.push(("412", "PreconditionFailed"));
        shared.push(("428", "PreconditionRequired"));
    }
    if has_body {
        shared.push(("413", "PayloadTooLarge"));
        shared.push(("415", "UnsupportedMediaType"));
    }
    // A body or query value that parses but breaks a rule (a NUL character,
    // an unknown instrument), or a change the domain refuses as it stands
    // (finalizing a partial assessment, activating a plan not agreed).
    if has_body || has_query || changes {
        shared.push(("422", "ValidationFailed"));
    }
    shared.push(("500", "InternalError"));
    // Everything but the liveness probe reads the database.
    if operation.operation_id.as_deref() != Some("get_health") {
        shared.push(("503", "ServiceUnavailable"));
    }
    let responses = &mut operation.responses.responses;
    for (status, name) in shared {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| Ref::from_response_name(name).into());
    }
}
