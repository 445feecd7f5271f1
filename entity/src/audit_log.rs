use sea_orm::entity::prelude::*;

/// One entry of the append-only audit trail (database triggers refuse UPDATE and DELETE).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub staff_id: Option<i32>,
    pub username: Option<String>,
    pub role: Option<String>,
    pub store_id: Option<i32>,
    /// What happened, e.g. `REVEAL`, `UPDATE_CUSTOMER`, `LOGIN`, `LOGIN_FAILED`.
    pub action: String,
    pub record_kind: String,
    /// The ids touched, stored as `,1,2,` so one id can be found with LIKE on any database.
    pub record_ids: String,
    /// JSON array of the field names touched or revealed.
    pub fields: Json,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
