use sea_orm::entity::prelude::*;

use crate::enums::ContactKind;

/// A phone number, e-mail address or WeChat id of a customer.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "contact_point")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub kind: ContactKind,
    /// As entered by the source.
    pub value: String,
    /// Normalized for lookup (phones as +86 and 11 digits, e-mail lower-cased).
    pub normalized: String,
    pub is_primary: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
