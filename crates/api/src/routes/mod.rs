//! The HTTP endpoints, each registered through utoipa-actix-web so the
//! routing table and the OpenAPI document cannot drift apart.

pub mod alerts;
pub mod appointments;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod benefits;
pub mod billing;
pub mod care;
pub mod changes;
pub mod clients;
pub mod contacts;
pub mod directory;
pub mod episodes;
pub mod events;
pub mod health;
pub mod partner;
pub mod plans;
pub mod problems;
pub mod referrals;
pub mod safety_plans;
pub mod staff;
pub mod transfers;
pub mod worklist;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::problem::ApiError;

/// Every route of the API.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(problems::get_problem_type)
        .service(
            scope("/v1")
                .service(auth::login)
                .service(auth::me)
                .service(auth::change_password)
                .service(clients::create_client)
                .service(clients::list_clients)
                .service(clients::get_client)
                .service(clients::update_client)
                .service(clients::change_client_status)
                .service(clients::assign_client_case_manager)
                .service(care::create_care_team_member)
                .service(care::list_care_team)
                .service(care::get_care_team_member)
                .service(care::replace_care_team_member)
                .service(care::create_natural_support)
                .service(care::list_natural_supports)
                .service(care::get_natural_support)
                .service(care::replace_natural_support)
                .service(care::delete_natural_support)
                .service(assessments::list_instruments)
                .service(assessments::get_instrument)
                .service(assessments::create_instrument)
                .service(assessments::create_assessment)
                .service(assessments::list_assessments)
                // Before `{assessment_id}`, which would otherwise take "trend".
                .service(assessments::get_assessment_trend)
                .service(assessments::get_assessment)
                .service(assessments::replace_assessment)
                .service(assessments::finalize_assessment)
                .service(plans::create_plan)
                .service(plans::list_client_plans)
                .service(plans::get_plan)
                .service(plans::replace_plan)
                .service(plans::activate_plan)
                .service(plans::complete_plan)
                .service(plans::request_plan_approval)
                .service(plans::decide_plan_approval)
                .service(plans::create_progress_note)
                .service(plans::list_progress_notes)
                .service(plans::list_plans)
                .service(contacts::create_contact)
                .service(contacts::list_client_contacts)
                .service(contacts::get_contact)
                .service(contacts::replace_contact)
                .service(contacts::sign_contact)
                .service(contacts::cosign_contact)
                .service(contacts::list_contacts)
                .service(appointments::create_appointment)
                .service(appointments::list_client_appointments)
                .service(appointments::get_appointment)
                .service(appointments::replace_appointment)
                .service(appointments::move_appointment)
                .service(appointments::move_ride)
                .service(appointments::list_appointments)
                .service(appointments::list_rides)
                .service(appointments::get_my_calendar)
                .service(appointments::create_calendar_feed)
                .service(appointments::revoke_calendar_feed)
                .service(appointments::get_calendar_feed)
                .service(benefits::create_benefit_application)
                .service(benefits::list_client_benefit_applications)
                .service(benefits::get_benefit_application)
                .service(benefits::replace_benefit_application)
                .service(benefits::move_benefit_application)
                .service(benefits::get_benefit_application_history)
                .service(benefits::list_benefit_applications)
                .service(episodes::list_episodes)
                .service(episodes::delete_closure_request)
                .service(safety_plans::get_safety_plan)
                .service(safety_plans::replace_safety_plan)
                .service(safety_plans::list_safety_plan_versions)
                .service(transfers::create_transfer)
                .service(transfers::list_client_transfers)
                .service(transfers::list_assignments)
                .service(transfers::list_transfers)
                .service(transfers::get_transfer)
                .service(transfers::move_transfer)
                .service(changes::list_changes)
                .service(alerts::list_alerts)
                .service(alerts::get_alert)
                .service(alerts::acknowledge_alert)
                .service(alerts::snooze_alert)
                .service(alerts::resolve_alert)
                .service(alerts::list_alert_rules)
                .service(alerts::list_alert_rule_versions)
                .service(alerts::replace_alert_rule)
                .service(alerts::get_client_acuity)
                .service(worklist::get_my_worklist)
                .service(worklist::get_team_worklist)
                .service(events::create_critical_event)
                .service(events::list_client_critical_events)
                .service(events::get_critical_event)
                .service(events::replace_critical_event)
                .service(events::list_critical_events)
                .service(events::create_residence)
                .service(events::list_residences)
                .service(events::get_residence)
                .service(events::replace_residence)
                .service(events::get_community_tenure)
                .service(events::list_residence_settings)
                .service(billing::list_billing_configs)
                .service(billing::create_billing_config)
                .service(billing::create_claim_batch)
                .service(billing::list_claim_batches)
                .service(billing::get_claim_batch)
                .service(billing::export_claim_batch)
                .service(billing::void_claim_batch)
                .service(billing::record_claim_line_outcome)
                .service(referrals::create_consent)
                .service(referrals::list_consents)
                .service(referrals::revoke_consent)
                .service(referrals::create_referral)
                .service(referrals::list_referrals)
                .service(referrals::get_referral)
                .service(referrals::replace_referral)
                .service(referrals::get_referral_history)
                .service(referrals::transition_referral)
                .service(referrals::redirect_referral)
                .service(referrals::list_disclosures)
                .service(partner::create_api_client)
                .service(partner::list_api_clients)
                .service(partner::rotate_api_client)
                .service(partner::revoke_api_client)
                .service(partner::create_oauth_token)
                .service(partner::list_partner_referrals)
                .service(partner::get_partner_referral)
                .service(partner::transition_partner_referral)
                .service(partner::list_partner_services)
                .service(partner::update_partner_capacity)
                .service(partner::create_webhook)
                .service(partner::list_webhook_deliveries)
                .service(partner::delete_webhook)
                .service(partner::create_partner_webhook)
                .service(partner::list_partner_webhooks)
                .service(staff::create_user)
                .service(staff::list_users)
                .service(staff::get_user)
                .service(staff::update_user)
                .service(staff::delete_user)
                .service(staff::create_team)
                .service(staff::list_teams)
                .service(staff::get_team)
                .service(staff::update_team)
                .service(audit::list_audit_events)
                .service(directory::create_organization)
                .service(directory::list_organizations)
                .service(directory::get_organization)
                .service(directory::replace_organization)
                .service(directory::delete_organization)
                .service(directory::create_location)
                .service(directory::list_locations)
                .service(directory::get_location)
                .service(directory::replace_location)
                .service(directory::delete_location)
                .service(directory::create_service)
                .service(directory::search_services)
                .service(directory::get_service)
                .service(directory::replace_service)
                .service(directory::delete_service)
                .service(directory::update_service_capacity)
                .service(directory::get_taxonomy),
        );
}

/// A created or stored body as JSON text.
/// Refuses a range of days whose last day (`to_field`) comes before its
/// first (`from_field`): a 422 on the last.
pub(crate) fn ordered_days(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
    (from_field, to_field): (&str, &str),
) -> Result<(), ApiError> {
    match (from, to) {
        (Some(from), Some(to)) if to < from => Err(ApiError::invalid_field(
            to_field,
            "before_from",
            &format!("must not be before {from_field}"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn json_body<T: serde::Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

/// 200 with a versioned record and its ETag.
pub(crate) fn ok_with_etag<T: serde::Serialize>(version: i32, body: &T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header(("ETag", crate::extract::etag(version)))
        .json(body)
}

/// A list page as served: the items and the cursor of the next page.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn from_store<S, K: serde::Serialize>(
        page: spoke_persistence::page::Page<S, K>,
        view: impl Fn(&S) -> T,
    ) -> Page<T> {
        Page {
            items: page.items.iter().map(view).collect(),
            next_cursor: page.next.as_ref().map(crate::extract::encode_cursor),
        }
    }
}
