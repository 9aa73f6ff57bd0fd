//! Benefits applications: prepared, submitted and followed through by the
//! client's keepers, read by whoever may read the client; every change is
//! kept in the application's history, and the dates coming due are listed
//! across clients.

use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::benefit::{
    Application, ApplicationError, ApplicationEvent, ApplicationFields, ApplicationInput,
    ApplicationMove,
};
use spoke_domain::ids::{BenefitApplicationId, ClientId};
use spoke_domain::policy::{ClientAction, client_scope};
use spoke_persistence::DbConnection;
use spoke_persistence::benefits::{self as store, ApplicationFilter};
use spoke_persistence::page::{Keyset, Page};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::under_client;
use crate::usecases::{audit_shown, known_organization};

const APPLICATION: ResourceType = ResourceType::BenefitApplication;

impl From<ApplicationError> for ApiError {
    fn from(error: ApplicationError) -> Self {
        match error {
            ApplicationError::Invalid(errors) => ApiError::Validation(errors),
            ApplicationError::IllegalMove(refused) => ApiError::IllegalMove(refused),
            ApplicationError::Closed(_) => ApiError::Conflict(error.to_string()),
        }
    }
}

/// Parses `input` and checks the agency it names is in the directory.
fn checked(
    conn: &mut DbConnection,
    input: ApplicationInput,
) -> Result<ApplicationFields, ApiError> {
    let fields = input.parse()?;
    known_organization(conn, fields.organization_id)?;
    Ok(fields)
}

/// Starts an application for `client` (status `preparing`).
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: ApplicationInput,
) -> Result<Application, ApiError> {
    let id = BenefitApplicationId::generate();
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (APPLICATION, id.to_string()),
        |tx| {
            let fields = checked(tx, input)?;
            let (mut application, created) =
                Application::new(client, fields, cx.actor.user_id, cx.today, cx.now);
            application.id = id;
            store::insert_application(tx, &application, &created)?;
            Ok(application)
        },
    )
}

pub fn get(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: BenefitApplicationId,
) -> Result<Application, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (APPLICATION, id.to_string()),
        |tx| Ok(store::get_application(tx, client, id)?),
    )
}

/// An application's history, oldest first.
pub fn history(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: BenefitApplicationId,
) -> Result<Vec<ApplicationEvent>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (APPLICATION, id.to_string()),
        |tx| {
            store::get_application(tx, client, id)?;
            Ok(store::history(tx, id)?)
        },
    )
}

/// A page of a client's applications, oldest first (or by date due).
pub fn list_for_client(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    filter: ApplicationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Application>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::BenefitApplications, client.to_string()),
        |tx| {
            let filter = ApplicationFilter {
                client: Some(client),
                ..filter
            };
            Ok(store::list_applications(
                tx,
                &client_scope(&cx.actor, cx.today),
                &filter,
                after,
                limit,
            )?)
        },
    )
}

/// A page of the applications of every client the actor may see that match
/// `filter`, audited as one event naming the clients shown.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    filter: &ApplicationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Application>, ApiError> {
    let page =
        store::list_applications(tx, &client_scope(&cx.actor, cx.today), filter, after, limit)?;
    audit_shown(
        tx,
        cx,
        ResourceType::BenefitApplicationList,
        page.items.iter().map(|a| a.client_id),
    );
    Ok(page)
}

/// Changes an application through `change` under the actor's If-Match and
/// stores it with the history entry the change made.
fn change(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: BenefitApplicationId,
    if_match: &IfMatch,
    change: impl FnOnce(&mut Tx, &mut Application) -> Result<ApplicationEvent, ApiError>,
) -> Result<Application, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (APPLICATION, id.to_string()),
        |tx| {
            let mut application = store::get_application(tx, client, id)?;
            if_match.check(application.version)?;
            let expected = application.version;
            let event = change(tx, &mut application)?;
            store::save_application(tx, &application, expected, &event)?;
            Ok(application)
        },
    )
}

/// Replaces an open (or approved) application's content: the checklist,
/// the case number, the notes.
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: BenefitApplicationId,
    if_match: &IfMatch,
    input: ApplicationInput,
) -> Result<Application, ApiError> {
    change(tx, cx, client, id, if_match, |tx, application| {
        let fields = checked(tx, input)?;
        Ok(application.revise(fields, cx.actor.user_id, cx.today, cx.now)?)
    })
}

/// Moves an application's status, recording what the move brings.
pub fn move_status(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: BenefitApplicationId,
    if_match: &IfMatch,
    input: ApplicationMove,
) -> Result<Application, ApiError> {
    change(tx, cx, client, id, if_match, |_, application| {
        Ok(application.move_to(input, cx.actor.user_id, cx.today, cx.now)?)
    })
}
