//! The resource directory over HTTP, and the Open Referral import, on both backends.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use serde_json::{Value, json};
use spoke_api::hsds;
use spoke_domain::staff::Role;
use spoke_tests::{Spoke, TestUser, both_backends};

fn keeper(spoke: &Spoke) -> TestUser {
    spoke.user(
        "sup@example.org",
        Role::Supervisor,
        Some(spoke.team("North")),
    )
}

fn term_id(spoke: &Spoke, user: &TestUser, code: &str) -> String {
    fn find(nodes: &Value, code: &str) -> Option<String> {
        nodes.as_array()?.iter().find_map(|node| {
            if node["code"] == code {
                node["id"].as_str().map(str::to_owned)
            } else {
                find(&node["children"], code)
            }
        })
    }
    let tree = spoke.get("/v1/taxonomy").as_user(user).send().expect(200);
    find(&tree.body, code).unwrap_or_else(|| panic!("no term {code}"))
}

fn create(spoke: &Spoke, user: &TestUser, path: &str, body: Value) -> Value {
    spoke
        .post(path)
        .as_user(user)
        .json(body)
        .send()
        .expect(201)
        .body
}

fn keepers_write_and_everyone_reads(spoke: &Spoke) {
    let sup = keeper(spoke);
    let cm = spoke.user(
        "cm@example.org",
        Role::CaseManager,
        Some(spoke.team("South")),
    );
    let org = create(
        spoke,
        &sup,
        "/v1/organizations",
        json!({"name": "Food Bank"}),
    );
    spoke
        .post("/v1/organizations")
        .as_user(&cm)
        .json(json!({"name": "Nope"}))
        .send()
        .expect_problem(403);
    let path = format!("/v1/organizations/{}", org["id"].as_str().unwrap());
    spoke.get(&path).as_user(&cm).send().expect(200);
    spoke
        .get("/v1/organizations")
        .as_user(&cm)
        .send()
        .expect(200);
    // Organizations have no organization filter; a stray one is refused, not ignored.
    spoke
        .get(&format!(
            "/v1/organizations?organization_id={}",
            org["id"].as_str().unwrap()
        ))
        .as_user(&cm)
        .send()
        .expect_problem(400);
    let other = create(spoke, &sup, "/v1/organizations", json!({"name": "Other"}));
    for (owner, name) in [(&org, "Here"), (&other, "There")] {
        create(
            spoke,
            &sup,
            "/v1/locations",
            json!({"organization_id": owner["id"], "name": name}),
        );
    }
    let mine = spoke
        .get(&format!(
            "/v1/locations?organization_id={}",
            org["id"].as_str().unwrap()
        ))
        .as_user(&cm)
        .send()
        .expect(200);
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["items"][0]["name"], "Here");
    spoke.get("/v1/services").as_user(&cm).send().expect(200);
    spoke.get("/v1/taxonomy").as_user(&cm).send().expect(200);
    spoke.get("/v1/taxonomy").send().expect_problem(401);
    let replaced = spoke
        .put(&path)
        .as_user(&sup)
        .if_match("\"1\"")
        .json(json!({"name": "Eastside Food Bank", "website": "https://food.example.org"}))
        .send()
        .expect(200);
    assert_eq!(replaced.etag(), "\"2\"");
    assert_eq!(replaced.body["website"], "https://food.example.org");
    spoke
        .put(&path)
        .as_user(&sup)
        .if_match("\"1\"")
        .json(json!({"name": "Stale"}))
        .send()
        .expect_problem(412);
}

fn services_check_their_references_and_capacity_is_reported(spoke: &Spoke) {
    let sup = keeper(spoke);
    let org = create(
        spoke,
        &sup,
        "/v1/organizations",
        json!({"name": "Food Bank"}),
    );
    let org_id = org["id"].as_str().unwrap();
    let place = create(
        spoke,
        &sup,
        "/v1/locations",
        json!({"organization_id": org_id, "name": "Warehouse", "latitude": 45.49, "longitude": -122.58}),
    );
    let pantry = term_id(spoke, &sup, "food-pantry");
    for (body, field) in [
        (
            json!({"organization_id": uuid::Uuid::now_v7(), "name": "X"}),
            "organization_id",
        ),
        (
            json!({"organization_id": org_id, "name": "X", "taxonomy_term_ids": [uuid::Uuid::now_v7()]}),
            "taxonomy_term_ids",
        ),
        (
            json!({"organization_id": org_id, "name": "X", "location_ids": [uuid::Uuid::now_v7()]}),
            "location_ids",
        ),
        (
            json!({"organization_id": org_id, "name": "X", "minimum_age": 30, "maximum_age": 20}),
            "minimum_age",
        ),
        (
            json!({"organization_id": org_id, "name": "X", "languages": ["english"]}),
            "languages[0]",
        ),
        (
            json!({"organization_id": org_id, "name": "X", "hours": [{"weekday": "monday", "opens_at": "17:00:00", "closes_at": "09:00:00"}]}),
            "hours[0]",
        ),
    ] {
        let reply = spoke
            .post("/v1/services")
            .as_user(&sup)
            .json(body)
            .send()
            .expect_problem(422);
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }
    let service = create(
        spoke,
        &sup,
        "/v1/services",
        json!({"organization_id": org_id, "name": "Pantry", "taxonomy_term_ids": [pantry], "location_ids": [place["id"]]}),
    );
    let path = format!("/v1/services/{}/capacity", service["id"].as_str().unwrap());
    spoke
        .put(&path)
        .as_user(&sup)
        .json(json!({"status": "full"}))
        .send()
        .expect_problem(428);
    let reported = spoke
        .put(&path)
        .as_user(&sup)
        .if_match("\"1\"")
        .json(json!({"status": "waitlist", "note": "two weeks"}))
        .send()
        .expect(200);
    assert_eq!(reported.body["capacity"]["status"], "waitlist");
    assert_eq!(reported.body["capacity"]["note"], "two weeks");
    let found = spoke
        .get("/v1/services?capacity=waitlist")
        .as_user(&sup)
        .send()
        .expect(200);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    // The organization and location are in use now.
    let org_path = format!("/v1/organizations/{org_id}");
    spoke
        .delete(&org_path)
        .as_user(&sup)
        .if_match("\"1\"")
        .send()
        .expect_problem(409);
    let place_path = format!("/v1/locations/{}", place["id"].as_str().unwrap());
    spoke
        .delete(&place_path)
        .as_user(&sup)
        .if_match("\"1\"")
        .send()
        .expect_problem(409);
    let service_path = format!("/v1/services/{}", service["id"].as_str().unwrap());
    spoke
        .delete(&service_path)
        .as_user(&sup)
        .if_match("\"2\"")
        .send()
        .expect(204);
    spoke
        .delete(&place_path)
        .as_user(&sup)
        .if_match("\"1\"")
        .send()
        .expect(204);
    spoke
        .delete(&org_path)
        .as_user(&sup)
        .if_match("\"1\"")
        .send()
        .expect(204);
}

fn search_over_http_filters_orders_and_refuses_bad_values(spoke: &Spoke) {
    let sup = keeper(spoke);
    let org = create(spoke, &sup, "/v1/organizations", json!({"name": "Org"}));
    let org_id = org["id"].as_str().unwrap();
    let downtown = create(
        spoke,
        &sup,
        "/v1/locations",
        json!({"organization_id": org_id, "name": "Downtown", "latitude": 45.5152, "longitude": -122.6784}),
    );
    let gresham = create(
        spoke,
        &sup,
        "/v1/locations",
        json!({"organization_id": org_id, "name": "Gresham", "latitude": 45.4987, "longitude": -122.4302}),
    );
    let pantry = term_id(spoke, &sup, "food-pantry");
    let food = term_id(spoke, &sup, "food");
    let always = json!([
        {"weekday": "monday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "tuesday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "wednesday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "thursday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "friday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "saturday", "opens_at": "00:00:00", "closes_at": "23:59:59"},
        {"weekday": "sunday", "opens_at": "00:00:00", "closes_at": "23:59:59"}
    ]);
    create(
        spoke,
        &sup,
        "/v1/services",
        json!({
            "organization_id": org_id, "name": "Far pantry", "description": "Groceries", "languages": ["es-MX"],
            "taxonomy_term_ids": [pantry], "location_ids": [gresham["id"]], "hours": always
        }),
    );
    create(
        spoke,
        &sup,
        "/v1/services",
        json!({
            "organization_id": org_id, "name": "Near pantry", "description": "Groceries", "languages": ["es"],
            "taxonomy_term_ids": [pantry], "location_ids": [downtown["id"]], "minimum_age": 18, "accepts_medicaid": true
        }),
    );
    let names = |query: &str| -> Vec<(String, Option<f64>)> {
        spoke
            .get(&format!("/v1/services?{query}"))
            .as_user(&sup)
            .send()
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap().to_owned(),
                    s["distance_km"].as_f64(),
                )
            })
            .collect()
    };
    let near = names(&format!(
        "near=45.5152,-122.6784&radius_km=30&q=groceries&taxonomy_term_id={food}&language=es"
    ));
    assert_eq!(
        near.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
        ["Near pantry", "Far pantry"]
    );
    assert!(near[0].1.unwrap() < near[1].1.unwrap());
    assert_eq!(names("near=45.5152,-122.6784&radius_km=5").len(), 1);
    assert_eq!(
        names("age=17")
            .iter()
            .map(|n| n.0.as_str())
            .collect::<Vec<_>>(),
        ["Far pantry"]
    );
    assert_eq!(
        names("accepts_medicaid=true")
            .iter()
            .map(|n| n.0.as_str())
            .collect::<Vec<_>>(),
        ["Near pantry"]
    );
    assert_eq!(
        names("open_now=true")
            .iter()
            .map(|n| n.0.as_str())
            .collect::<Vec<_>>(),
        ["Far pantry"]
    );
    assert!(names("q=nothing-like-this").is_empty());

    for (query, field) in [
        ("near=200,10", "near"),
        ("near=45,-122&radius_km=-1", "radius_km"),
        ("near=45,-122&radius_km=9000", "radius_km"),
        ("radius_km=5", "radius_km"),
        ("near=somewhere", "near"),
        (
            &format!("taxonomy_term_id={}", uuid::Uuid::now_v7()) as &str,
            "taxonomy_term_id",
        ),
        ("taxonomy_term_id=food", "taxonomy_term_id"),
        ("age=200", "age"),
        ("language=english", "language"),
        ("capacity=plenty", "capacity"),
        ("accepts_medicaid=maybe", "accepts_medicaid"),
        ("modified_after=yesterday", "modified_after"),
        ("cursor=bogus", "cursor"),
    ] {
        let reply = spoke
            .get(&format!("/v1/services?{query}"))
            .as_user(&sup)
            .send()
            .expect_problem(400);
        assert_eq!(
            reply.body["errors"][0]["field"], field,
            "{query}: {}",
            reply.text
        );
    }
}

fn write_dataset(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

const JSON_DATASET: &str = r#"{"contents": [
  {"id": "s1", "name": "Pantry", "organization": {"id": "o1", "name": "Food Bank"},
   "languages": [{"code": "es"}],
   "schedules": [{"freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:00", "closes_at": "12:00"}],
   "service_at_locations": [{"id": "sal1", "location": {"id": "l1", "name": "Warehouse", "latitude": 45.5, "longitude": -122.6,
      "addresses": [{"address_1": "1 Main St", "city": "Portland", "state_province": "OR", "postal_code": "97201", "country": "US"}]}}],
   "attributes": [{"taxonomy_term": {"id": "t-pantry", "code": "food-pantry", "name": "Food pantry"}}],
   "cost_options": [{"option": "Medicaid accepted"}]},
  {"id": "s2", "name": "Broken", "organization_id": "o1", "minimum_age": 50, "maximum_age": 10},
  {"id": "s3", "name": "Shelter", "organization_id": "o1", "status": "temporarily closed",
   "attributes": [{"taxonomy_term": {"id": "t-new", "code": "winter-shelter", "name": "Winter shelter", "parent_id": "t-pantry"}}]},
  {"id": "s4", "organization_id": "missing-org", "name": "Orphan"}
]}"#;

fn a_json_import_reports_bad_records_and_runs_twice_without_change(spoke: &Spoke) {
    let dir = tempfile_dir();
    write_dataset(
        dir.path(),
        &[
            ("service_list.json", JSON_DATASET),
            ("taxonomy_term_list.json", "not json"),
        ],
    );
    let first = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    assert_eq!(first.services.created, 2, "{:?}", first.errors);
    assert_eq!(first.organizations.created, 1);
    assert_eq!(first.locations.created, 1);
    assert_eq!(
        first.taxonomy_terms.created, 1,
        "winter-shelter is new; food-pantry is Spoke's own"
    );
    let reasons: Vec<(String, String)> = first
        .errors
        .iter()
        .map(|e| (e.file.clone(), e.id.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("taxonomy_term_list.json".to_owned(), String::new()),
            ("service_list.json".to_owned(), "s2".to_owned()),
            ("service_list.json".to_owned(), "s4".to_owned()),
        ],
        "{:?}",
        first.errors
    );
    assert!(
        first.errors[1].reason.contains("minimum_age"),
        "{:?}",
        first.errors[1]
    );
    assert!(
        first.errors[2].reason.contains("missing-org"),
        "{:?}",
        first.errors[2]
    );

    let second = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    assert_eq!(
        second.services,
        hsds::Counts {
            created: 0,
            updated: 0,
            unchanged: 2
        }
    );
    assert_eq!(second.organizations.unchanged, 1);
    assert_eq!(second.locations.unchanged, 1);

    let sup = keeper(spoke);
    let found = spoke
        .get("/v1/services?q=pantry")
        .as_user(&sup)
        .send()
        .expect(200);
    let pantry = &found.body["items"][0];
    assert_eq!(pantry["hsds_id"], "s1");
    assert_eq!(pantry["accepts_medicaid"], true);
    assert_eq!(pantry["languages"], json!(["es"]));
    assert_eq!(pantry["hours"].as_array().unwrap().len(), 2);
    let shelter = spoke
        .get("/v1/services?status=temporarily_closed")
        .as_user(&sup)
        .send()
        .expect(200);
    assert_eq!(shelter.body["items"][0]["name"], "Shelter");
    // The imported child term sits under Spoke's food-pantry term.
    let food = term_id(spoke, &sup, "food");
    let under_food = spoke
        .get(&format!("/v1/services?taxonomy_term_id={food}"))
        .as_user(&sup)
        .send()
        .expect(200);
    assert_eq!(under_food.body["items"].as_array().unwrap().len(), 2);
}

fn a_csv_import_with_a_malformed_row_imports_the_rest(spoke: &Spoke) {
    let dir = tempfile_dir();
    write_dataset(
        dir.path(),
        &[
            (
                "organizations.csv",
                "id,name,description,website\no1,Clinic,Primary care,https://clinic.example.org\no2,,No name,\n",
            ),
            (
                "locations.csv",
                "id,organization_id,name,latitude,longitude\nl1,o1,Main site,45.52,-122.68\nl2,o1,Bad site,200,0\n",
            ),
            (
                "addresses.csv",
                "id,location_id,address_1,city,state_province,postal_code,country\na1,l1,1 Clinic Way,Portland,OR,97201,US\n",
            ),
            (
                "services.csv",
                "id,organization_id,name,description,status,minimum_age,maximum_age\n\
                 s1,o1,Primary care,Checkups,active,,\n\
                 s2,o1,Teen clinic,For teens,active,thirteen,19\n\
                 s3,o1,Dental,Cleanings,active,0,120\n",
            ),
            (
                "service_at_locations.csv",
                "id,service_id,location_id\nsal1,s1,l1\nsal3,s3,l1\n",
            ),
            (
                "languages.csv",
                "id,service_id,code\nla1,s1,en\nla2,s1,zh-Hant\n",
            ),
            (
                "schedules.csv",
                "id,service_id,freq,byday,opens_at,closes_at\nsc1,s1,WEEKLY,\"MO,TU\",08:00:00,17:00:00\n",
            ),
            (
                "taxonomy_terms.csv",
                "id,code,name,parent_id\nt1,primary-care,Primary care,\n",
            ),
            (
                "attributes.csv",
                "id,link_id,link_entity,taxonomy_term_id\nat1,s1,service,t1\n",
            ),
            (
                "phones.csv",
                "id,service_id,number,type\np1,s1,503-555-0100,voice\n",
            ),
        ],
    );
    let first = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    let rejected: Vec<&str> = first.errors.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(rejected, ["o2", "l2", "s2"], "{:?}", first.errors);
    assert!(
        first
            .errors
            .iter()
            .all(|e| !e.reason.is_empty() && e.file.ends_with(".csv"))
    );
    assert_eq!(first.services.created, 2);
    let second = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    assert_eq!(second.services.unchanged, 2);
    assert_eq!(second.services.created + second.services.updated, 0);

    let sup = keeper(spoke);
    let care = spoke
        .get("/v1/services?near=45.52,-122.68&radius_km=1&language=zh")
        .as_user(&sup)
        .send()
        .expect(200);
    let hit = &care.body["items"][0];
    assert_eq!(hit["name"], "Primary care");
    assert_eq!(hit["phones"][0]["number"], "5035550100");
    let place = spoke
        .get(&format!(
            "/v1/locations/{}",
            hit["location_ids"][0].as_str().unwrap()
        ))
        .as_user(&sup)
        .send()
        .expect(200);
    assert_eq!(place.body["address"]["line1"], "1 Clinic Way");
}

/// Organizations whose parent comes in the same import are stored in bulk
/// with it; a second import with one of them changed updates just that one,
/// its services and locations left as they were.
fn a_reimport_updates_what_changed_and_keeps_parents_first(spoke: &Spoke) {
    let dir = tempfile_dir();
    let organizations = |child_name: &str| {
        format!(
            r#"[{{"id": "child", "name": "{child_name}", "parent_organization_id": "parent"}},
                {{"id": "parent", "name": "Parent Org"}},
                {{"id": "grandchild", "name": "Grandchild", "parent_organization_id": "child"}}]"#
        )
    };
    let services = r#"[{"id": "s1", "name": "Meals", "organization_id": "child",
        "service_at_locations": [{"location": {"id": "l1", "name": "Hall", "organization_id": "child",
            "latitude": 45.5, "longitude": -122.6}}]}]"#;
    write_dataset(
        dir.path(),
        &[
            ("organization_list.json", &organizations("Child Org")),
            ("service_list.json", services),
        ],
    );
    let first = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(first.organizations.created, 3);
    assert_eq!((first.locations.created, first.services.created), (1, 1));

    write_dataset(
        dir.path(),
        &[(
            "organization_list.json",
            &organizations("Child Org, renamed"),
        )],
    );
    let second = hsds::import(spoke.database(), dir.path(), |_| {}).unwrap();
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(
        second.organizations,
        hsds::Counts {
            created: 0,
            updated: 1,
            unchanged: 2
        }
    );
    assert_eq!(second.services.unchanged, 1);
    assert_eq!(second.locations.unchanged, 1);
    let sup = keeper(spoke);
    let near = spoke
        .get("/v1/services?near=45.5,-122.6&radius_km=1")
        .as_user(&sup)
        .send()
        .expect(200);
    assert_eq!(near.body["items"][0]["name"], "Meals");
}

fn tempfile_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

both_backends!(
    keepers_write_and_everyone_reads,
    services_check_their_references_and_capacity_is_reported,
    search_over_http_filters_orders_and_refuses_bad_values,
    a_json_import_reports_bad_records_and_runs_twice_without_change,
    a_reimport_updates_what_changed_and_keeps_parents_first,
    a_csv_import_with_a_malformed_row_imports_the_rest,
);
