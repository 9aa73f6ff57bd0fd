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
        token_version -> Integer,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        hsds_id -> Nullable<Text>,
        name -> Text,
        description -> Nullable<Text>,
        website -> Nullable<Text>,
        email -> Nullable<Text>,
        tax_id -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        phones -> Text,
        last_modified -> Timestamp,
        created_at -> Timestamp,
        version -> Integer,
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
        client_id -> Nullable<Text>,
        client_ids -> Nullable<Text>,
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

diesel::table! {
    sign_in_buckets (bucket) {
        bucket -> Text,
        window_start -> Timestamp,
        attempts -> Integer,
    }
}

diesel::joinable!(users -> teams (team_id));
diesel::joinable!(clients -> teams (team_id));
diesel::allow_tables_to_appear_in_same_query!(teams, users, organizations, clients, audit_events);

diesel::table! {
    taxonomy_terms (id) {
        id -> Text,
        hsds_id -> Nullable<Text>,
        code -> Text,
        name -> Text,
        description -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        path -> Text,
        last_modified -> Timestamp,
    }
}

diesel::table! {
    locations (id) {
        id -> Text,
        hsds_id -> Nullable<Text>,
        organization_id -> Text,
        name -> Text,
        address -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        accessibility -> Nullable<Text>,
        transportation -> Nullable<Text>,
        phones -> Text,
        last_modified -> Timestamp,
        created_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        hsds_id -> Nullable<Text>,
        organization_id -> Text,
        name -> Text,
        sort_name -> Text,
        description -> Nullable<Text>,
        search_text -> Text,
        status -> Text,
        application_process -> Nullable<Text>,
        fees_description -> Nullable<Text>,
        wait_time -> Nullable<Text>,
        eligibility_description -> Nullable<Text>,
        minimum_age -> Nullable<Integer>,
        maximum_age -> Nullable<Integer>,
        accepts_medicaid -> Integer,
        interpretation_services -> Nullable<Text>,
        phones -> Text,
        languages -> Text,
        hours -> Text,
        taxonomy_term_ids -> Text,
        location_ids -> Text,
        capacity -> Nullable<Text>,
        capacity_note -> Nullable<Text>,
        capacity_updated_at -> Nullable<Timestamp>,
        last_modified -> Timestamp,
        created_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    service_languages (service_id, language) {
        service_id -> Text,
        language -> Text,
    }
}

diesel::table! {
    service_taxonomy (service_id, term_id) {
        service_id -> Text,
        term_id -> Text,
    }
}

diesel::table! {
    service_hours (service_id, weekday, opens_minute) {
        service_id -> Text,
        weekday -> Integer,
        opens_minute -> Integer,
        closes_minute -> Integer,
    }
}

diesel::table! {
    service_locations (service_id, location_id) {
        service_id -> Text,
        location_id -> Text,
    }
}

diesel::table! {
    service_places (lat_band, longitude, service_id, location_id) {
        lat_band -> Integer,
        longitude -> Double,
        latitude -> Double,
        service_id -> Text,
        location_id -> Text,
        status -> Text,
        accepts_medicaid -> Integer,
        minimum_age -> Nullable<Integer>,
        maximum_age -> Nullable<Integer>,
        capacity -> Nullable<Text>,
        last_modified -> Timestamp,
        languages -> Text,
        term_paths -> Text,
    }
}

diesel::joinable!(service_locations -> locations (location_id));
diesel::joinable!(service_locations -> services (service_id));
diesel::joinable!(service_taxonomy -> taxonomy_terms (term_id));
diesel::allow_tables_to_appear_in_same_query!(
    services,
    locations,
    taxonomy_terms,
    service_languages,
    service_taxonomy,
    service_hours,
    service_locations,
    service_places,
);

diesel::table! {
    care_team_members (id) {
        id -> Text,
        client_id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        name -> Nullable<Text>,
        profession -> Nullable<Text>,
        organization -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        responsibility -> Nullable<Text>,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    natural_supports (id) {
        id -> Text,
        client_id -> Text,
        name -> Text,
        relationship -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        role_in_plan -> Nullable<Text>,
        may_share_information -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    instruments (id) {
        id -> Text,
        code -> Text,
        version -> Integer,
        name -> Text,
        description -> Nullable<Text>,
        domains -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        client_id -> Text,
        instrument_id -> Text,
        assessor_id -> Text,
        assessed_on -> Date,
        kind -> Text,
        status -> Text,
        scores -> Text,
        overall_note -> Nullable<Text>,
        amends_id -> Nullable<Text>,
        finalized_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(assessments -> instruments (instrument_id));

diesel::table! {
    plans (id) {
        id -> Text,
        client_id -> Text,
        status -> Text,
        effective_on -> Date,
        review_due_on -> Date,
        agreed_on -> Nullable<Date>,
        agreement_method -> Nullable<Text>,
        goals -> Text,
        approval -> Nullable<Text>,
        supersedes_id -> Nullable<Text>,
        activated_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    plan_tasks (id) {
        id -> Text,
        plan_id -> Text,
        client_id -> Text,
        goal_id -> Text,
        due_on -> Nullable<Date>,
        status -> Text,
    }
}

diesel::table! {
    plan_notes (id) {
        id -> Text,
        plan_id -> Text,
        goal_id -> Text,
        author_id -> Text,
        written_at -> Timestamp,
        text -> Text,
    }
}

diesel::joinable!(plans -> clients (client_id));
// The client record and what is kept about it.
diesel::allow_tables_to_appear_in_same_query!(
    clients,
    alerts,
    client_acuity,
    changes,
    contacts,
    billing_configs,
    claim_batches,
    claim_lines,
    claim_line_contacts,
    contact_cosignatures,
    appointments,
    rides,
    benefit_applications,
    benefit_application_events,
    critical_events,
    residences,
    episodes,
    transfers,
    client_assignments,
    safety_plans,
    care_team_members,
    natural_supports,
    instruments,
    assessments,
    plans,
    plan_tasks,
    plan_notes,
    consents,
    referrals,
    referral_events,
    disclosures,
);

diesel::table! {
    consents (id) {
        id -> Text,
        client_id -> Text,
        recipient_organization_id -> Nullable<Text>,
        any_organization -> Integer,
        categories -> Text,
        purpose -> Text,
        effective_on -> Date,
        expires_on -> Nullable<Date>,
        method -> Text,
        witness_name -> Nullable<Text>,
        document_reference -> Nullable<Text>,
        part2 -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revocation_reason -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        client_id -> Text,
        organization_id -> Text,
        service_id -> Text,
        reason -> Text,
        needs -> Text,
        priority -> Text,
        note_for_partner -> Nullable<Text>,
        categories -> Text,
        due_by -> Nullable<Date>,
        status -> Text,
        business_status -> Nullable<Text>,
        consent_id -> Nullable<Text>,
        outcome -> Nullable<Text>,
        linked_on -> Nullable<Date>,
        redirected_from -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    referral_events (id) {
        id -> Text,
        referral_id -> Text,
        at -> Timestamp,
        by_user_id -> Nullable<Text>,
        by_organization_id -> Nullable<Text>,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Nullable<Text>,
        business_status -> Nullable<Text>,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    disclosures (id) {
        id -> Text,
        client_id -> Text,
        organization_id -> Text,
        api_client_id -> Nullable<Text>,
        referral_id -> Nullable<Text>,
        channel -> Text,
        disclosed -> Text,
        purpose -> Text,
        consent_id -> Nullable<Text>,
        disclosed_at -> Timestamp,
    }
}

diesel::joinable!(referrals -> clients (client_id));

diesel::table! {
    webhooks (id) {
        id -> Text,
        organization_id -> Nullable<Text>,
        url -> Text,
        secret -> Text,
        event_types -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        event_id -> Text,
        webhook_id -> Text,
        referral_id -> Text,
        client_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        claim -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);

diesel::table! {
    data_backfills (name) {
        name -> Text,
        done_at -> Timestamp,
    }
}

diesel::table! {
    audit_event_clients (client_id, occurred_at, event_id) {
        client_id -> Text,
        occurred_at -> Timestamp,
        event_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_events, audit_event_clients);

diesel::table! {
    billing_configs (id) {
        id -> Text,
        payer -> Text,
        version -> Integer,
        name -> Text,
        procedure_code -> Text,
        modifiers -> Text,
        unit_minutes -> Integer,
        rounding -> Text,
        max_units_per_day -> Integer,
        billable_activities -> Text,
        billable_modes -> Text,
        bills_collateral -> Integer,
        requires_medicaid_id -> Integer,
        min_narrative_chars -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        client_id -> Text,
        author_id -> Text,
        started_at -> Timestamp,
        duration_minutes -> Integer,
        date_of_service -> Date,
        after_hours -> Integer,
        mode -> Text,
        setting -> Text,
        client_present -> Integer,
        participants -> Text,
        two_person_override_reason -> Nullable<Text>,
        activities -> Text,
        goal_ids -> Text,
        referral_ids -> Text,
        goal_progress -> Nullable<Text>,
        declined_services -> Nullable<Text>,
        coordination -> Nullable<Text>,
        narrative -> Text,
        travel_minutes -> Nullable<Integer>,
        travel_miles -> Nullable<Double>,
        sensitivity -> Text,
        amends_id -> Nullable<Text>,
        status -> Text,
        signed_at -> Nullable<Timestamp>,
        late_entry -> Integer,
        billing_config_id -> Nullable<Text>,
        billable_units -> Nullable<Integer>,
        not_billable -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(contacts -> clients (client_id));
diesel::joinable!(contacts -> billing_configs (billing_config_id));

diesel::table! {
    claim_batches (id) {
        id -> Text,
        payer -> Text,
        period_from -> Date,
        period_to -> Date,
        status -> Text,
        created_by -> Text,
        exported_at -> Nullable<Timestamp>,
        voided_at -> Nullable<Timestamp>,
        void_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    claim_lines (id) {
        id -> Text,
        batch_id -> Text,
        position -> Integer,
        client_id -> Text,
        medicaid_id -> Text,
        date_of_service -> Date,
        procedure_code -> Text,
        modifiers -> Text,
        units -> Integer,
        rendering_staff_id -> Text,
        outcome -> Text,
        denial_reason -> Nullable<Text>,
    }
}

diesel::table! {
    claim_line_contacts (line_id, contact_id) {
        line_id -> Text,
        contact_id -> Text,
        batch_id -> Text,
        live -> Integer,
    }
}

diesel::table! {
    contact_cosignatures (contact_id) {
        contact_id -> Text,
        cosigned_by -> Text,
        cosigned_at -> Timestamp,
    }
}

diesel::table! {
    appointments (id) {
        id -> Text,
        client_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        kind -> Text,
        care_team_member_id -> Nullable<Text>,
        service_id -> Nullable<Text>,
        with_name -> Nullable<Text>,
        location_id -> Nullable<Text>,
        address -> Nullable<Text>,
        case_manager_attends -> Integer,
        referral_id -> Nullable<Text>,
        task_id -> Nullable<Text>,
        notes -> Nullable<Text>,
        sensitivity -> Text,
        status -> Text,
        status_changed_by -> Nullable<Text>,
        status_changed_at -> Nullable<Timestamp>,
        status_reason -> Nullable<Text>,
        cancelled_by -> Nullable<Text>,
        rescheduled_from -> Nullable<Text>,
        rescheduled_to -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    rides (appointment_id) {
        appointment_id -> Text,
        mode -> Text,
        status -> Text,
        pickup_address -> Nullable<Text>,
        pickup_at -> Nullable<Timestamp>,
        departs_at -> Timestamp,
        staff_ids -> Text,
        cost_cents -> Nullable<BigInt>,
        nemt_trip_id -> Nullable<Text>,
        arranged_by -> Nullable<Text>,
        arranged_at -> Nullable<Timestamp>,
        failure_reason -> Nullable<Text>,
    }
}

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(appointments -> clients (client_id));
diesel::joinable!(rides -> appointments (appointment_id));

diesel::table! {
    benefit_applications (id) {
        id -> Text,
        client_id -> Text,
        program -> Text,
        program_name -> Nullable<Text>,
        organization_id -> Nullable<Text>,
        case_number -> Nullable<Text>,
        documents -> Text,
        notes -> Nullable<Text>,
        status -> Text,
        outcome -> Text,
        next_due_on -> Nullable<Date>,
        next_due_kind -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    benefit_application_events (id) {
        id -> Text,
        application_id -> Text,
        at -> Timestamp,
        by_user -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        on_day -> Date,
        note -> Nullable<Text>,
    }
}

diesel::joinable!(benefit_applications -> clients (client_id));

diesel::table! {
    critical_events (id) {
        id -> Text,
        client_id -> Text,
        event_type -> Text,
        crisis_service -> Nullable<Text>,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        organization_id -> Nullable<Text>,
        facility_name -> Nullable<Text>,
        learned_from -> Text,
        learned_on -> Date,
        sensitivity -> Text,
        notes -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(critical_events -> clients (client_id));

diesel::table! {
    residences (id) {
        id -> Text,
        client_id -> Text,
        setting -> Text,
        address -> Nullable<Text>,
        moved_in_on -> Date,
        moved_out_on -> Nullable<Date>,
        notes -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(residences -> clients (client_id));

diesel::table! {
    episodes (id) {
        id -> Text,
        client_id -> Text,
        program -> Text,
        referral_source -> Nullable<Text>,
        referral_source_name -> Nullable<Text>,
        eligibility_basis -> Nullable<Text>,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        discharge_reason -> Nullable<Text>,
        destination -> Nullable<Text>,
        discharge_summary -> Nullable<Text>,
        discharged_by -> Nullable<Text>,
        closure_request -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(episodes -> clients (client_id));

diesel::table! {
    transfers (id) {
        id -> Text,
        client_id -> Text,
        from_team_id -> Text,
        from_case_manager_id -> Nullable<Text>,
        to_team_id -> Text,
        to_case_manager_id -> Nullable<Text>,
        summary -> Text,
        status -> Text,
        requested_by -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(transfers -> clients (client_id));

diesel::table! {
    client_assignments (id) {
        id -> Text,
        client_id -> Text,
        team_id -> Text,
        case_manager_id -> Nullable<Text>,
        from_at -> Timestamp,
        until_at -> Nullable<Timestamp>,
        reason -> Text,
        by_user -> Nullable<Text>,
    }
}

diesel::joinable!(client_assignments -> clients (client_id));

diesel::table! {
    safety_plans (client_id, version) {
        client_id -> Text,
        version -> Integer,
        sections -> Text,
        written_by -> Text,
        written_at -> Timestamp,
    }
}

diesel::joinable!(safety_plans -> clients (client_id));

diesel::table! {
    alert_rules (code, version) {
        code -> Text,
        version -> Integer,
        enabled -> Integer,
        severity -> Text,
        escalate_after_hours -> Nullable<Integer>,
        params -> Text,
        changed_by -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        rule -> Text,
        rule_version -> Integer,
        severity -> Text,
        client_id -> Nullable<Text>,
        staff_id -> Nullable<Text>,
        subject_key -> Text,
        summary -> Text,
        facts -> Text,
        state -> Text,
        opened_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        snoozed_until -> Nullable<Date>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
        note -> Nullable<Text>,
        escalated_at -> Nullable<Timestamp>,
        cleared_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    client_acuity (client_id) {
        client_id -> Text,
        score -> Integer,
        level -> Text,
        contributions -> Text,
        computed_at -> Timestamp,
    }
}

diesel::joinable!(client_acuity -> clients (client_id));

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        at -> Timestamp,
        record_type -> Text,
        record_id -> Text,
        client_id -> Text,
        action -> Text,
    }
}
diesel::allow_tables_to_appear_in_same_query!(alerts, users);
diesel::allow_tables_to_appear_in_same_query!(client_acuity, users);
