//! Assessment instruments and clients' assessments: drafts that change until
//! they are final, amendments instead of edits after that, and the trend of
//! final scores per life domain.

use spoke_domain::assessment::{
    Assessment, AssessmentError, AssessmentInput, AssessmentStatus, DomainTrend, Instrument,
    InstrumentInput, trend,
};
use spoke_domain::audit::{AuditAction, ResourceType};
use spoke_domain::ids::{AssessmentId, ClientId, InstrumentId};
use spoke_domain::policy::{ClientAction, StaffAction, authorize_staff};
use spoke_persistence::assessments as store;
use spoke_persistence::page::{Keyset, Page};
use spoke_persistence::{DbConnection, StoreError};

use crate::context::Cx;
use crate::db::Tx;
use crate::extract::IfMatch;
use crate::problem::ApiError;
use crate::usecases::clients::under_client;
use crate::usecases::{allowed, change_versioned, must_exist};

const ASSESSMENT: ResourceType = ResourceType::Assessment;

/// Every version of every instrument. Every staff role.
pub fn list_instruments(tx: &mut Tx) -> Result<Vec<Instrument>, ApiError> {
    Ok(store::list_instruments(tx)?)
}

/// One instrument version. Every staff role.
pub fn get_instrument(tx: &mut Tx, id: InstrumentId) -> Result<Instrument, ApiError> {
    Ok(store::get_instrument(tx, id)?)
}

/// Adds `input` as the next version of its instrument (version 1 for a new
/// code). Admins only.
pub fn add_instrument(
    tx: &mut Tx,
    cx: &Cx,
    input: InstrumentInput,
) -> Result<Instrument, ApiError> {
    allowed(
        authorize_staff(&cx.actor, StaffAction::ManageInstruments),
        "only an admin may add instruments",
    )?;
    match store::add_instrument_version(tx, input.parse()?, cx.now) {
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict(
            "another version of this instrument was added at the same moment; retry".into(),
        )),
        other => Ok(other?),
    }
}

/// The instrument an input names, or a 422 on `instrument_id`.
fn instrument_of(conn: &mut DbConnection, input: &AssessmentInput) -> Result<Instrument, ApiError> {
    must_exist(
        "instrument_id",
        store::get_instrument(conn, input.instrument_id),
    )
}

/// An amended assessment must be a final one of the same client on the same
/// instrument.
fn check_amends(
    conn: &mut DbConnection,
    client: ClientId,
    input: &AssessmentInput,
    instrument: &Instrument,
) -> Result<(), ApiError> {
    let Some(amended) = input.amends else {
        return Ok(());
    };
    let invalid = |message: &str| ApiError::invalid_field("amends", "invalid_amendment", message);
    let amended = match store::get_assessment(conn, client, amended) {
        Ok(a) => a,
        Err(StoreError::NotFound) => {
            return Err(invalid("no assessment of this client has this id"));
        }
        Err(other) => return Err(other.into()),
    };
    if amended.status != AssessmentStatus::Final {
        return Err(invalid(
            "only a final assessment is amended; change a draft instead",
        ));
    }
    let amended_instrument = store::get_instrument(conn, amended.fields.instrument_id)?;
    if amended_instrument.fields.code != instrument.fields.code {
        return Err(invalid("an amendment scores the same instrument"));
    }
    Ok(())
}

/// Starts a draft assessment of `client`, checked against the instrument it
/// scores; the client's keepers.
pub fn create(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    input: AssessmentInput,
) -> Result<Assessment, ApiError> {
    let id = AssessmentId::generate();
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordCreated,
        (ASSESSMENT, id.to_string()),
        |tx| {
            let instrument = instrument_of(tx, &input)?;
            check_amends(tx, client, &input, &instrument)?;
            let fields = input.parse(&instrument, cx.today)?;
            let mut assessment = Assessment::new(client, cx.actor.user_id, fields, cx.now);
            assessment.id = id;
            store::insert_assessment(tx, &assessment)?;
            Ok(assessment)
        },
    )
}

/// A page of a client's assessments, newest first, drafts included.
pub fn list(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    after: Option<&Keyset>,
    limit: usize,
) -> Result<Page<Assessment>, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::Assessments, client.to_string()),
        |tx| Ok(store::list_assessments(tx, client, after, limit)?),
    )
}

/// The trend of a client's final scores on the newest version of the
/// instrument `code`.
pub fn trend_of(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    code: &str,
) -> Result<(Instrument, Vec<DomainTrend>), ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ResourceType::AssessmentTrend, client.to_string()),
        |tx| {
            let instrument = store::latest_instrument(tx, code)?.ok_or_else(|| {
                ApiError::invalid_field(
                    "instrument",
                    "unknown_reference",
                    "no instrument has this code",
                )
            })?;
            let assessments = store::assessments_on(tx, client, code)?;
            let domains = trend(&instrument, &assessments);
            Ok((instrument, domains))
        },
    )
}

pub fn get(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AssessmentId,
) -> Result<Assessment, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::Read,
        AuditAction::RecordRead,
        (ASSESSMENT, id.to_string()),
        |tx| Ok(store::get_assessment(tx, client, id)?),
    )
}

/// Changes a draft assessment through `change` under the caller's If-Match.
fn change(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AssessmentId,
    if_match: &IfMatch,
    change: impl FnOnce(&mut Tx, &mut Assessment) -> Result<(), ApiError>,
) -> Result<Assessment, ApiError> {
    under_client(
        tx,
        cx,
        client,
        ClientAction::ManageCare,
        AuditAction::RecordUpdated,
        (ASSESSMENT, id.to_string()),
        |tx| {
            let mut assessment = store::get_assessment(tx, client, id)?;
            change_versioned(
                tx,
                &mut assessment,
                if_match,
                cx.now,
                |tx, assessment| change(tx, assessment).map(|()| true),
                |tx, assessment, expected| Ok(store::update_assessment(tx, assessment, expected)?),
            )?;
            Ok(assessment)
        },
    )
}

/// Replaces a draft's content; a final assessment never changes (409).
pub fn revise(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AssessmentId,
    if_match: &IfMatch,
    input: AssessmentInput,
) -> Result<Assessment, ApiError> {
    change(tx, cx, client, id, if_match, |tx, assessment| {
        if assessment.status == AssessmentStatus::Final {
            return Err(AssessmentError::Final.into());
        }
        let instrument = instrument_of(tx, &input)?;
        check_amends(tx, client, &input, &instrument)?;
        let fields = input.parse(&instrument, cx.today)?;
        Ok(assessment.revise(fields, cx.now)?)
    })
}

/// Makes a draft final once every required domain is answered.
pub fn finalize(
    tx: &mut Tx,
    cx: &Cx,
    client: ClientId,
    id: AssessmentId,
    if_match: &IfMatch,
) -> Result<Assessment, ApiError> {
    change(tx, cx, client, id, if_match, |tx, assessment| {
        let instrument = store::get_instrument(tx, assessment.fields.instrument_id)?;
        Ok(assessment.finalize(&instrument, cx.now)?)
    })
}
