//! The OpenAPI contract: committed, complete, and served as generated.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_domain::staff::Role;
use spoke_tests::{Spoke, both_backends};

fn generated() -> Value {
    serde_json::from_str(&spoke_api::server::openapi_json()).unwrap()
}

#[test]
fn the_committed_contract_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed = std::fs::read_to_string(path).expect("openapi/openapi.json is committed");
    assert!(
        committed == spoke_api::server::openapi_json(),
        "openapi/openapi.json differs from the code's contract: run `make openapi` and commit it"
    );
}

/// Every string and list a request body may carry has a stated bound, and
/// every JSON input object is closed, so a generated client or a fuzzer
/// knows what the server will refuse. (A part of an `allOf` stays open: it
/// would refuse its siblings' fields; the form of the OAuth token request
/// stays open, as RFC 6749 ignores unknown parameters.)
#[test]
fn every_request_field_is_bounded_and_every_input_closed() {
    fn walk(
        schema: &Value,
        at: &str,
        closed: bool,
        spec: &Value,
        seen: &mut Vec<String>,
        gaps: &mut Vec<String>,
    ) {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap().to_owned();
            if !seen.contains(&name) {
                seen.push(name.clone());
                let target = &spec["components"]["schemas"][&name];
                walk(target, &name, closed, spec, seen, gaps);
            }
            return;
        }
        if closed && schema["properties"].is_object() && schema["additionalProperties"] != false {
            gaps.push(format!("{at}: object without additionalProperties: false"));
        }
        let kinds: Vec<&str> = match &schema["type"] {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fixed = schema["enum"].is_array()
            || matches!(
                schema["format"].as_str(),
                Some("date" | "date-time" | "uuid")
            );
        if kinds.contains(&"string") && schema["maxLength"].is_null() && !fixed {
            gaps.push(format!("{at}: string without maxLength"));
        }
        if kinds.contains(&"array") {
            if schema["maxItems"].is_null() {
                gaps.push(format!("{at}: array without maxItems"));
            }
            walk(&schema["items"], &format!("{at}[]"), true, spec, seen, gaps);
        }
        for key in ["oneOf", "allOf", "anyOf"] {
            for sub in schema[key].as_array().into_iter().flatten() {
                walk(sub, at, closed && key != "allOf", spec, seen, gaps);
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            walk(property, &format!("{at}.{name}"), true, spec, seen, gaps);
        }
    }
    let spec = generated();
    let (mut seen, mut gaps) = (Vec::new(), Vec::new());
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (media_type, content) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let at = format!("{method} {path}");
                let json = media_type.ends_with("json");
                walk(&content["schema"], &at, json, &spec, &mut seen, &mut gaps);
            }
        }
    }
    assert!(seen.len() > 20, "the walk reached the input schemas");
    assert!(
        gaps.is_empty(),
        "unbounded request fields:\n{}",
        gaps.join("\n")
    );
}

/// Creates link to the operations on what they created, and reads to its
/// changes, with parameters that exist: a stateful test can follow them.
#[test]
fn links_lead_from_a_create_to_its_resource() {
    let spec = generated();
    let mut operation_ids = std::collections::HashSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            operation_ids.insert(op["operationId"].as_str().unwrap().to_owned());
        }
    }
    let mut links = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                for (name, link) in response["links"].as_object().into_iter().flatten() {
                    links += 1;
                    let at = format!("{method} {path} {status} -> {name}");
                    assert!(
                        operation_ids.contains(link["operationId"].as_str().unwrap()),
                        "{at}"
                    );
                    for value in link["parameters"].as_object().unwrap().values() {
                        let value = value.as_str().unwrap();
                        if value == "$response.body#/id" {
                            let schema = response["content"]["application/json"]["schema"]["$ref"]
                                .as_str()
                                .unwrap()
                                .rsplit('/')
                                .next()
                                .unwrap();
                            let has_id = |schema: &Value| schema["properties"]["id"].is_object();
                            let target = &spec["components"]["schemas"][schema];
                            let parts = target["allOf"].as_array().cloned().unwrap_or_default();
                            assert!(
                                has_id(target) || parts.iter().any(has_id),
                                "{at}: {schema} has no id"
                            );
                        } else {
                            let param = value.strip_prefix("$request.path.").unwrap();
                            assert!(path.contains(&format!("{{{param}}}")), "{at}: {param}");
                        }
                    }
                }
            }
        }
    }
    assert!(links > 30, "{links} links");
    let created = &spec["paths"]["/v1/clients"]["post"]["responses"]["201"]["links"];
    assert_eq!(
        created["get_client"]["parameters"]["id"],
        "$response.body#/id"
    );
}

/// Every parameter shows an example an integrator can send as it is,
/// except a cursor (`cursor`, the change feed's `after`), which only the
/// server makes.
#[test]
fn every_parameter_has_an_example() {
    let spec = generated();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                if name != "cursor"
                    && name != "after"
                    && parameter["example"].is_null()
                    && parameter["examples"].is_null()
                {
                    missing.push(format!("{method} {path} {name}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "parameters without an example:\n{}",
        missing.join("\n")
    );
}

/// Sign-in answers with the signed-in user beside the token, which the
/// partner token grant does not: two schemas, not one name for both.
#[test]
fn the_two_token_answers_are_two_schemas() {
    let spec = generated();
    let schema = |path: &str, method: &str| {
        spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    };
    let login = schema("/v1/auth/login", "post");
    let grant = schema("/v1/oauth/token", "post");
    assert_ne!(login, grant);
    assert!(spec["components"]["schemas"][&login]["properties"]["user"].is_object());
}

#[test]
fn every_operation_is_documented_for_integrators() {
    let spec = generated();
    assert_eq!(spec["openapi"], "3.1.0");
    let mut problems = Vec::new();
    let mut operation_ids = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_default();
            let verb_resource = id.split_once('_').is_some_and(|(verb, rest)| {
                !verb.is_empty()
                    && !rest.is_empty()
                    && id.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            });
            if !verb_resource && id != "login" {
                problems.push(format!("{at}: operationId {id:?} is not verb_resource"));
            }
            operation_ids.push(id.to_owned());
            if op["tags"].as_array().map(Vec::len) != Some(1) {
                problems.push(format!("{at}: needs exactly one tag"));
            }
            for field in ["summary", "description"] {
                if op[field].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{at}: no {field}"));
                }
            }
            let responses = op["responses"].as_object().unwrap();
            if !responses.keys().any(|status| status.starts_with('2')) {
                problems.push(format!("{at}: no success response"));
            }
            if !responses.contains_key("500") {
                problems.push(format!("{at}: no 500 response"));
            }
            // `[{}]` marks a public operation; a named scheme secures it.
            let secured = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
            });
            if op["security"].is_null() {
                problems.push(format!("{at}: says nothing of security"));
            }
            if secured && !responses.contains_key("401") {
                problems.push(format!("{at}: secured but no 401"));
            }
            for (status, response) in responses {
                // RFC 6749 dictates the token endpoint's error bodies.
                let oauth = id == "create_oauth_token" && matches!(status.as_str(), "400" | "401");
                if (status.starts_with('4') || status.starts_with('5')) && !oauth {
                    let reference = response["$ref"].as_str().unwrap_or_default();
                    let inline = &response["content"]["application/problem+json"];
                    if !reference.starts_with("#/components/responses/") && inline.is_null() {
                        problems.push(format!("{at}: {status} is not a problem+json response"));
                    }
                }
            }
        }
    }
    let mut unique = operation_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), operation_ids.len(), "operationIds are unique");
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        if schema.get("example").is_none() && schema.get("examples").is_none() {
            problems.push(format!("schema {name}: no example"));
        }
    }
    for (name, response) in spec["components"]["responses"].as_object().unwrap() {
        if response["content"]["application/problem+json"]["example"].is_null() {
            problems.push(format!("response {name}: no example"));
        }
    }
    assert!(
        problems.is_empty(),
        "the contract is incomplete:\n{}",
        problems.join("\n")
    );
}

fn the_served_contract_and_docs_work_offline(spoke: &Spoke) {
    let served = spoke.get("/openapi.json").send().expect(200);
    assert_eq!(served.body, generated());
    let docs = spoke.get("/docs/").send().expect(200);
    assert!(docs.text.contains("swagger-ui"), "{}", docs.text);
    // The UI's assets come from the binary, not from a CDN.
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        let reply = spoke.get(asset).send().expect(200);
        assert!(reply.text.len() > 100, "{asset} is empty");
    }
    assert!(
        !docs.text.contains("cdn."),
        "the docs page loads from a CDN"
    );
}

fn health_and_readiness(spoke: &Spoke) {
    let health = spoke.get("/healthz").send().expect(200);
    assert_eq!(health.body["status"], "ok");
    assert!(health.header("x-request-id").is_some());
    let ready = spoke.get("/readyz").send().expect(200);
    assert_eq!(ready.body["status"], "ready");
    // A caller's trace is continued, and names the request.
    let traced = spoke
        .get("/healthz")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .expect(200);
    assert_eq!(
        traced.header("x-request-id"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    let answered = traced.header("traceparent").unwrap();
    assert!(answered.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
    assert!(answered.ends_with("-01"));
}

/// Every problem `type` the server sends resolves to a page that explains
/// it; the stale-ETag answer's type is one of them.
fn problem_types_resolve_to_pages(spoke: &Spoke) {
    for kind in spoke_api::problem::ProblemType::ALL {
        let page = spoke.get(&kind.uri()).send().expect(200);
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.text.contains(kind.title()), "{}", page.text);
    }
    spoke
        .get("/problems/no-such-problem")
        .send()
        .expect_problem(404);
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let created = spoke
        .post("/v1/clients")
        .as_user(&cm)
        .json(json!({"given_name": "Ana", "family_name": "Lee"}))
        .send()
        .expect(201);
    let stale = spoke
        .patch(&format!(
            "/v1/clients/{}",
            created.body["id"].as_str().unwrap()
        ))
        .as_user(&cm)
        .if_match("\"7\"")
        .json(json!({"preferred_name": "Ani"}))
        .send()
        .expect_problem(412);
    let kind = stale.body["type"].as_str().unwrap();
    spoke.get(kind).send().expect(200);
}

/// Prometheus sees requests by route pattern (not by id), the pools and the
/// outbox; with a token set, only who sends it.
fn metrics_count_requests_by_route(spoke: &Spoke) {
    let team = spoke.team("North");
    let cm = spoke.user("cm@example.org", Role::CaseManager, Some(team));
    let missing = uuid::Uuid::now_v7();
    spoke
        .get(&format!("/v1/clients/{missing}"))
        .as_user(&cm)
        .send()
        .expect_problem(404);
    let scraped = spoke.get("/metrics").send().expect(200);
    assert!(
        scraped
            .header("content-type")
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    for line in [
        r#"spoke_http_requests_total{method="GET",route="/v1/clients/{id}",status="404"} 1"#,
        r#"spoke_db_pool_connections{pool="main",state="in_use"}"#,
        "spoke_webhook_outbox_pending 0",
        "spoke_http_request_duration_seconds_bucket",
        "spoke_db_connection_wait_seconds_count",
    ] {
        assert!(scraped.text.contains(line), "{line} in {}", scraped.text);
    }
    assert!(!scraped.text.contains(&missing.to_string()));

    let Some(guarded) = Spoke::start_with(spoke.backend(), |settings| {
        settings.metrics_token = Some("scrape-secret".to_owned());
    }) else {
        return;
    };
    guarded.get("/metrics").send().expect_problem(401);
    guarded
        .get("/metrics")
        .token("not-the-secret")
        .send()
        .expect_problem(401);
    guarded
        .get("/metrics")
        .token("scrape-secret")
        .send()
        .expect(200);
}

both_backends!(
    the_served_contract_and_docs_work_offline,
    health_and_readiness,
    metrics_count_requests_by_route,
    problem_types_resolve_to_pages
);
