//! `lead.closed_at` and `lead.created_grade`: when a lead was won or defeated, and the
//! grade it had when it was created — what the lead conversion KPIs count by.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("lead")
                    .add_column(ColumnDef::new("closed_at").timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("lead")
                    .add_column(ColumnDef::new("created_grade").string_len(24).null())
                    .to_owned(),
            )
            .await?;
        manager.create_index(Index::create().name("idx_lead_closed_at").table("lead").col("closed_at").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_lead_closed_at").table("lead").to_owned()).await?;
        manager.alter_table(Table::alter().table("lead").drop_column("created_grade").to_owned()).await?;
        manager.alter_table(Table::alter().table("lead").drop_column("closed_at").to_owned()).await
    }
}
