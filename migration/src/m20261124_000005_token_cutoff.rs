//! `staff.tokens_not_before`: access tokens issued before it are refused, so enabling a
//! disabled account again does not bring back the tokens it had before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("staff")
                    .add_column(ColumnDef::new("tokens_not_before").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("staff").drop_column("tokens_not_before").to_owned()).await
    }
}
