//! A client's care team and natural supports.

use chrono::NaiveDate;
use diesel::prelude::*;
use spoke_domain::care::{
    CareTeamFields, CareTeamMember, CareTeamPerson, NaturalSupport, NaturalSupportFields, Period,
    Profession, Relationship,
};
use spoke_domain::ids::{CareTeamMemberId, ClientId, NaturalSupportId, UserId};
use spoke_domain::values::{Email, Phone, ShortText};

use crate::StoreError;
use crate::conn::DbConnection;
use crate::rows::{corrupt, from_db, one_versioned_row, parse_id, stored, text, to_db};
use crate::schema::{care_team_members, natural_supports};

// ----------------------------------------------------------------- care team

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = care_team_members, treat_none_as_null = true, treat_none_as_default_value = false)]
struct MemberRow {
    id: String,
    client_id: String,
    kind: String,
    user_id: Option<String>,
    name: Option<String>,
    profession: Option<String>,
    organization: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    responsibility: Option<String>,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&CareTeamMember> for MemberRow {
    fn from(m: &CareTeamMember) -> Self {
        let f = &m.fields;
        let mut row = MemberRow {
            id: m.id.to_string(),
            client_id: m.client_id.to_string(),
            kind: String::new(),
            user_id: None,
            name: None,
            profession: None,
            organization: None,
            phone: None,
            email: None,
            responsibility: text(&f.responsibility),
            started_on: f.period.started_on,
            ended_on: f.period.ended_on,
            created_at: to_db(m.created_at),
            updated_at: to_db(m.updated_at),
            version: m.version,
        };
        match &f.person {
            CareTeamPerson::Staff { user_id } => {
                row.kind = "staff".into();
                row.user_id = Some(user_id.to_string());
            }
            CareTeamPerson::External {
                name,
                profession,
                organization,
                phone,
                email,
            } => {
                row.kind = "external".into();
                row.name = Some(name.to_string());
                row.profession = Some(profession.as_str().to_owned());
                row.organization = text(organization);
                row.phone = text(phone);
                row.email = text(email);
            }
        }
        row
    }
}

impl MemberRow {
    fn into_domain(self) -> Result<CareTeamMember, StoreError> {
        let person = match self.kind.as_str() {
            "staff" => CareTeamPerson::Staff {
                user_id: parse_id(self.user_id.as_deref().unwrap_or_default())?,
            },
            "external" => CareTeamPerson::External {
                name: stored("care team name", self.name, ShortText::parse)?
                    .ok_or_else(|| corrupt("care team name", ""))?,
                profession: self
                    .profession
                    .as_deref()
                    .and_then(Profession::parse)
                    .ok_or_else(|| {
                        corrupt("profession", self.profession.as_deref().unwrap_or(""))
                    })?,
                organization: stored("organization", self.organization, ShortText::parse)?,
                phone: stored("phone", self.phone, Phone::parse)?,
                email: stored("email", self.email, Email::parse)?,
            },
            other => return Err(corrupt("care team kind", other)),
        };
        Ok(CareTeamMember {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: CareTeamFields {
                person,
                responsibility: stored("responsibility", self.responsibility, ShortText::parse)?,
                period: Period::parse(self.started_on, self.ended_on)
                    .map_err(|_| corrupt("care team period", &self.started_on.to_string()))?,
            },
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

/// Memberships of a staff user current on `on`: the one definition of
/// "on the care team that day" that both the access check and the client
/// list filter use.
#[diesel::dsl::auto_type]
fn serving(on: NaiveDate) -> _ {
    care_team_members::user_id
        .is_not_null()
        .and(care_team_members::started_on.le(on))
        .and(
            care_team_members::ended_on
                .is_null()
                .or(care_team_members::ended_on.ge(on)),
        )
}

/// The ids of the clients `user` serves on a care team on `on`, as a
/// subquery a client list filters by.
#[diesel::dsl::auto_type]
pub(crate) fn clients_served_by(user: String, on: NaiveDate) -> _ {
    let current: serving = serving(on);
    care_team_members::table
        .filter(current)
        .filter(care_team_members::user_id.eq(user))
        .select(care_team_members::client_id)
}

/// The staff users on `client`'s care team on `on`.
pub fn staff_on_care_team(
    conn: &mut DbConnection,
    client: ClientId,
    on: NaiveDate,
) -> Result<Vec<UserId>, StoreError> {
    care_team_members::table
        .filter(serving(on))
        .filter(care_team_members::client_id.eq(client.to_string()))
        .select(care_team_members::user_id)
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .map(|id| parse_id(&id))
        .collect()
}

pub fn insert_member(conn: &mut DbConnection, m: &CareTeamMember) -> Result<(), StoreError> {
    diesel::insert_into(care_team_members::table)
        .values(MemberRow::from(m))
        .execute(conn)?;
    Ok(())
}

/// Writes `m` over the stored row if it is still at `expected_version`.
pub fn update_member(
    conn: &mut DbConnection,
    m: &CareTeamMember,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        care_team_members::table
            .filter(care_team_members::id.eq(m.id.to_string()))
            .filter(care_team_members::version.eq(expected_version)),
    )
    .set(MemberRow::from(m))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// A membership of `client`'s care team; another client's is not found.
pub fn get_member(
    conn: &mut DbConnection,
    client: ClientId,
    id: CareTeamMemberId,
) -> Result<CareTeamMember, StoreError> {
    care_team_members::table
        .filter(care_team_members::id.eq(id.to_string()))
        .filter(care_team_members::client_id.eq(client.to_string()))
        .select(MemberRow::as_select())
        .first::<MemberRow>(conn)?
        .into_domain()
}

/// Every membership of `client`'s care team, past ones included, by start.
pub fn list_members(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<CareTeamMember>, StoreError> {
    care_team_members::table
        .filter(care_team_members::client_id.eq(client.to_string()))
        .order((
            care_team_members::started_on.asc(),
            care_team_members::id.asc(),
        ))
        .select(MemberRow::as_select())
        .load::<MemberRow>(conn)?
        .into_iter()
        .map(MemberRow::into_domain)
        .collect()
}

// ---------------------------------------------------------- natural supports

#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = natural_supports, treat_none_as_null = true, treat_none_as_default_value = false)]
struct SupportRow {
    id: String,
    client_id: String,
    name: String,
    relationship: String,
    phone: Option<String>,
    email: Option<String>,
    role_in_plan: Option<String>,
    may_share_information: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

impl From<&NaturalSupport> for SupportRow {
    fn from(s: &NaturalSupport) -> Self {
        let f = &s.fields;
        SupportRow {
            id: s.id.to_string(),
            client_id: s.client_id.to_string(),
            name: f.name.to_string(),
            relationship: f.relationship.as_str().to_owned(),
            phone: text(&f.phone),
            email: text(&f.email),
            role_in_plan: text(&f.role_in_plan),
            may_share_information: i32::from(f.may_share_information),
            created_at: to_db(s.created_at),
            updated_at: to_db(s.updated_at),
            version: s.version,
        }
    }
}

impl SupportRow {
    fn into_domain(self) -> Result<NaturalSupport, StoreError> {
        Ok(NaturalSupport {
            id: parse_id(&self.id)?,
            client_id: parse_id(&self.client_id)?,
            fields: NaturalSupportFields {
                name: ShortText::parse(&self.name).map_err(|_| corrupt("name", &self.name))?,
                relationship: Relationship::parse(&self.relationship)
                    .ok_or_else(|| corrupt("relationship", &self.relationship))?,
                phone: stored("phone", self.phone, Phone::parse)?,
                email: stored("email", self.email, Email::parse)?,
                role_in_plan: stored("role in plan", self.role_in_plan, ShortText::parse)?,
                may_share_information: self.may_share_information != 0,
            },
            created_at: from_db(self.created_at),
            updated_at: from_db(self.updated_at),
            version: self.version,
        })
    }
}

pub fn insert_support(conn: &mut DbConnection, s: &NaturalSupport) -> Result<(), StoreError> {
    diesel::insert_into(natural_supports::table)
        .values(SupportRow::from(s))
        .execute(conn)?;
    Ok(())
}

/// Writes `s` over the stored row if it is still at `expected_version`.
pub fn update_support(
    conn: &mut DbConnection,
    s: &NaturalSupport,
    expected_version: i32,
) -> Result<(), StoreError> {
    let changed = diesel::update(
        natural_supports::table
            .filter(natural_supports::id.eq(s.id.to_string()))
            .filter(natural_supports::version.eq(expected_version)),
    )
    .set(SupportRow::from(s))
    .execute(conn)?;
    one_versioned_row(changed)
}

/// A natural support of `client`; another client's is not found.
pub fn get_support(
    conn: &mut DbConnection,
    client: ClientId,
    id: NaturalSupportId,
) -> Result<NaturalSupport, StoreError> {
    natural_supports::table
        .filter(natural_supports::id.eq(id.to_string()))
        .filter(natural_supports::client_id.eq(client.to_string()))
        .select(SupportRow::as_select())
        .first::<SupportRow>(conn)?
        .into_domain()
}

/// Every natural support of `client`, oldest first.
pub fn list_supports(
    conn: &mut DbConnection,
    client: ClientId,
) -> Result<Vec<NaturalSupport>, StoreError> {
    natural_supports::table
        .filter(natural_supports::client_id.eq(client.to_string()))
        .order((
            natural_supports::created_at.asc(),
            natural_supports::id.asc(),
        ))
        .select(SupportRow::as_select())
        .load::<SupportRow>(conn)?
        .into_iter()
        .map(SupportRow::into_domain)
        .collect()
}

/// Removes a natural support if it is still at `expected_version`.
pub fn delete_support(
    conn: &mut DbConnection,
    client: ClientId,
    id: NaturalSupportId,
    expected_version: i32,
) -> Result<(), StoreError> {
    let deleted = diesel::delete(
        natural_supports::table
            .filter(natural_supports::id.eq(id.to_string()))
            .filter(natural_supports::client_id.eq(client.to_string()))
            .filter(natural_supports::version.eq(expected_version)),
    )
    .execute(conn)?;
    if deleted == 1 {
        Ok(())
    } else {
        // Gone or changed: tell which.
        get_support(conn, client, id).map(|_| ())?;
        Err(StoreError::Stale)
    }
}
