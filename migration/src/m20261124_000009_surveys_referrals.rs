//! Satisfaction surveys (SSI after delivery, CSI after service) and referrals.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    let mut stmt = ForeignKey::create();
    stmt.name(format!("fk_{table}_{column}")).from(table, column).to(target, "id");
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("survey")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(string_len("kind", 8))
                    .col(integer("store_id"))
                    .col(integer("customer_id"))
                    .col(integer_null("delivery_id"))
                    .col(integer_null("repair_order_id"))
                    .col(string_len_uniq("subject_key", 64))
                    .col(json("scores"))
                    .col(integer("index_points"))
                    .col(integer("recommend"))
                    .col(text_null("comment"))
                    .col(integer_null("complaint_id"))
                    .col(integer("surveyed_by"))
                    .col(timestamp_with_time_zone("surveyed_at"))
                    .foreign_key(&mut fk("survey", "store_id", "store"))
                    .foreign_key(&mut fk("survey", "customer_id", "customer"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_survey_store_id_surveyed_at")
                    .table("survey")
                    .col("store_id")
                    .col("surveyed_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("ix_survey_customer_id").table("survey").col("customer_id").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("customer_referral")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("referrer_id"))
                    // The referred customer (one referrer each).
                    .col(integer_uniq("customer_id"))
                    .col(integer("store_id"))
                    .col(integer_null("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("customer_referral", "referrer_id", "customer"))
                    .foreign_key(&mut fk("customer_referral", "customer_id", "customer"))
                    .foreign_key(&mut fk("customer_referral", "store_id", "store"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_referral_referrer_id")
                    .table("customer_referral")
                    .col("referrer_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("customer_referral").to_owned()).await?;
        manager.drop_table(Table::drop().table("survey").to_owned()).await
    }
}
