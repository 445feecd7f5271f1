//! Indexes for the keyset orders of the connections: (sort column, id), so a page
//! after a cursor is an index range, not a scan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 8] = [
    ("customer", "name"),
    ("customer", "created_at"),
    ("customer", "updated_at"),
    ("lead", "created_at"),
    ("repair_order", "opened_at"),
    ("insurance_policy", "ends_on"),
    ("insurance_policy", "starts_on"),
    ("duplicate_candidate", "score"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{table}_{column}_id"))
                        .table(table)
                        .col(column)
                        .col("id")
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in INDEXES {
            manager.drop_index(Index::drop().name(format!("ix_{table}_{column}_id")).table(table).to_owned()).await?;
        }
        Ok(())
    }
}
