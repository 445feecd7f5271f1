//! Unification: provenance of every fact, payload history, household links, the
//! duplicate-candidates queue and reversible merges.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Fact tables that now point at the source record that brought them.
const FACTS: [&str; 5] = ["lead", "delivery", "repair_order", "insurance_policy", "parts_order"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in FACTS {
            manager
                .alter_table(Table::alter().table(table).add_column(integer_null("source_record_id")).to_owned())
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_{table}_source_record_id"))
                        .table(table)
                        .col("source_record_id")
                        .to_owned(),
                )
                .await?;
        }
        for column in [string_len_null("kind", 24), string_len_null("payload_hash", 64), text_null("match_reason")] {
            manager.alter_table(Table::alter().table("source_record").add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("source_record_history")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("source_record_id"))
                    .col(json("payload"))
                    .col(string_len_null("payload_hash", 64))
                    .col(timestamp_with_time_zone("replaced_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_source_record_history_source_record_id")
                            .from("source_record_history", "source_record_id")
                            .to("source_record", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_source_record_history_source_record_id")
                    .table("source_record_history")
                    .col("source_record_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("customer_link")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("customer_a"))
                    .col(integer("customer_b"))
                    .col(string_len("kind", 24))
                    .col(text("reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_link_a")
                            .from("customer_link", "customer_a")
                            .to("customer", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_link_b")
                            .from("customer_link", "customer_b")
                            .to("customer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ix_customer_link_a_b", vec!["customer_a", "customer_b"], true),
            ("ix_customer_link_b", vec!["customer_b"], false),
        ] {
            let mut ix = Index::create();
            ix.name(name).table("customer_link");
            for c in cols {
                ix.col(c);
            }
            if unique {
                ix.unique();
            }
            manager.create_index(ix).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("duplicate_candidate")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("customer_a"))
                    .col(integer("customer_b"))
                    .col(integer("score"))
                    .col(json("reasons"))
                    .col(string_len("status", 24))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(integer_null("resolved_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_duplicate_candidate_a")
                            .from("duplicate_candidate", "customer_a")
                            .to("customer", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_duplicate_candidate_b")
                            .from("duplicate_candidate", "customer_b")
                            .to("customer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ix_duplicate_candidate_a_b", vec!["customer_a", "customer_b"], true),
            ("ix_duplicate_candidate_status_score", vec!["status", "score"], false),
            ("ix_duplicate_candidate_b", vec!["customer_b"], false),
        ] {
            let mut ix = Index::create();
            ix.name(name).table("duplicate_candidate");
            for c in cols {
                ix.col(c);
            }
            if unique {
                ix.unique();
            }
            manager.create_index(ix).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("merge_event")
                    .if_not_exists()
                    .col(pk_auto("id"))
                    .col(integer("survivor_id"))
                    .col(json("merged_ids"))
                    .col(json("snapshot"))
                    .col(timestamp_with_time_zone("merged_at"))
                    .col(integer_null("merged_by"))
                    .col(timestamp_with_time_zone_null("undone_at"))
                    .col(integer_null("undone_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_merge_event_survivor")
                            .from("merge_event", "survivor_id")
                            .to("customer", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_merge_event_survivor_id").table("merge_event").col("survivor_id").to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["merge_event", "duplicate_candidate", "customer_link", "source_record_history"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for column in ["match_reason", "payload_hash", "kind"] {
            manager.alter_table(Table::alter().table("source_record").drop_column(column).to_owned()).await?;
        }
        for table in FACTS {
            manager
                .drop_index(Index::drop().name(format!("ix_{table}_source_record_id")).table(table).to_owned())
                .await?;
            manager.alter_table(Table::alter().table(table).drop_column("source_record_id").to_owned()).await?;
        }
        Ok(())
    }
}
