// The one schema both backends share. Kept by hand in step with
// migrations/{sqlite,postgres}; the round-trip tests on both backends catch drift.

diesel::table! {
    teams (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        role -> Text,
        team_id -> Nullable<Text>,
        password_hash -> Text,
        deleted_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        given_name -> Text,
        family_name -> Text,
        preferred_name -> Nullable<Text>,
        search_name -> Text,
        date_of_birth -> Nullable<Date>,
        gender -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        address -> Nullable<Text>,
        medicaid_id -> Nullable<Text>,
        external_ids -> Text,
        status -> Text,
        risk_flags -> Text,
        primary_case_manager_id -> Nullable<Text>,
        team_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_id -> Text,
        action -> Text,
        client_id -> Text,
        resource_type -> Text,
        resource_id -> Text,
        request_id -> Text,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        status_code -> Integer,
        response_body -> Text,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(users -> teams (team_id));
diesel::joinable!(clients -> teams (team_id));
diesel::allow_tables_to_appear_in_same_query!(teams, users, organizations, clients, audit_events);
