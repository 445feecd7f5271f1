//! Lead work: the follow-up log, first response, protection and the store's pool,
//! 撞单 attempts, customer consents, and offers of leads to partner and sister stores
//! (deal registration) in place of the plain `lead_share`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{}_{}", table, columns.join("_"))).table(table).if_not_exists();
    for col in columns {
        stmt.col(*col);
    }
    stmt
}

fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    let mut stmt = ForeignKey::create();
    stmt.name(format!("fk_{table}_{column}")).from(table, column).to(target, "id");
    stmt
}

const LEAD_COLUMNS: [(&str, ColType); 7] = [
    ("first_response_due_at", ColType::Time),
    ("first_contacted_at", ColType::Time),
    ("protected_until", ColType::Time),
    ("delivery_id", ColType::Int),
    ("defeat_note", ColType::Text),
    ("referred_by_store_id", ColType::Int),
    ("offer_id", ColType::Int),
];

#[derive(Clone, Copy)]
enum ColType {
    Time,
    Int,
    Text,
}

fn tables() -> Vec<(TableCreateStatement, Vec<IndexCreateStatement>)> {
    vec![
        (
            Table::create()
                .table("store_lead_policy")
                .if_not_exists()
                .col(integer("store_id").primary_key())
                .col(integer("first_response_minutes"))
                .col(integer("protection_days"))
                .col(integer("cadence_h_days"))
                .col(integer("cadence_a_days"))
                .col(integer("cadence_b_days"))
                .col(integer("cadence_c_days"))
                .col(integer("opens_at_minute"))
                .col(integer("closes_at_minute"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("store_lead_policy", "store_id", "store"))
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("lead_follow_up")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("lead_id"))
                .col(integer("store_id"))
                .col(integer("staff_id"))
                .col(string_len("channel", 24))
                .col(string_len("outcome", 24))
                .col(text_null("note"))
                .col(string_len("grade_before", 24))
                .col(string_len("grade_after", 24))
                .col(timestamp_with_time_zone_null("due_at"))
                .col(timestamp_with_time_zone_null("next_follow_up_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("lead_follow_up", "lead_id", "lead"))
                .foreign_key(&mut fk("lead_follow_up", "staff_id", "staff"))
                .to_owned(),
            vec![index("lead_follow_up", &["lead_id", "created_at"]), index("lead_follow_up", &["created_at"])],
        ),
        (
            Table::create()
                .table("lead_conflict")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("lead_id"))
                .col(integer("attempted_by"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("lead_conflict", "lead_id", "lead"))
                .foreign_key(&mut fk("lead_conflict", "attempted_by", "staff"))
                .to_owned(),
            vec![index("lead_conflict", &["store_id", "created_at"])],
        ),
        (
            Table::create()
                .table("customer_consent")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("customer_id"))
                .col(string_len("purpose", 32))
                .col(integer_null("recipient_store_id"))
                .col(date("given_on"))
                .col(string_len("channel", 24))
                .col(text("evidence"))
                .col(integer_null("recorded_by"))
                .col(timestamp_with_time_zone("recorded_at"))
                .col(timestamp_with_time_zone_null("withdrawn_at"))
                .col(integer_null("withdrawn_by"))
                .foreign_key(&mut fk("customer_consent", "customer_id", "customer"))
                .foreign_key(&mut fk("customer_consent", "recipient_store_id", "store"))
                .to_owned(),
            vec![index("customer_consent", &["customer_id"])],
        ),
        (
            Table::create()
                .table("lead_offer")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("lead_id"))
                .col(integer("from_store_id"))
                .col(integer("to_store_id"))
                .col(integer("offered_by"))
                .col(text_null("message"))
                .col(string_len("status", 24))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(integer_null("answered_by"))
                .col(timestamp_with_time_zone_null("answered_at"))
                .col(text_null("decline_reason"))
                .col(integer_null("consent_id"))
                .col(integer_null("accepted_lead_id"))
                .foreign_key(&mut fk("lead_offer", "lead_id", "lead"))
                .foreign_key(&mut fk("lead_offer", "from_store_id", "store"))
                .foreign_key(&mut fk("lead_offer", "to_store_id", "store"))
                .to_owned(),
            vec![
                index("lead_offer", &["to_store_id", "status"]),
                index("lead_offer", &["from_store_id", "status"]),
                index("lead_offer", &["lead_id"]),
            ],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for (name, kind) in LEAD_COLUMNS {
            let mut col = ColumnDef::new(name);
            match kind {
                ColType::Time => col.timestamp_with_time_zone(),
                ColType::Int => col.integer(),
                ColType::Text => col.text(),
            };
            col.null();
            manager.alter_table(Table::alter().table("lead").add_column(col).to_owned()).await?;
        }
        for (table, indexes) in tables() {
            manager.create_table(table).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        for index in [
            index("lead", &["store_id", "customer_id", "status"]),
            index("lead", &["store_id", "status", "next_follow_up_at"]),
            index("lead", &["offer_id"]),
        ] {
            manager.create_index(index).await?;
        }
        // Leads shared before offers existed: an accepted offer each (without a recorded
        // consent), the partner's own copy of the lead, the origin lead handed over.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO lead_offer (lead_id, from_store_id, to_store_id, offered_by, message, status, expires_at, \
             created_at, answered_by, answered_at) \
             SELECT s.lead_id, l.store_id, s.store_id, s.shared_by, NULL, 'ACCEPTED', s.shared_at, s.shared_at, NULL, \
             s.shared_at FROM lead_share s JOIN lead l ON l.id = s.lead_id ORDER BY s.id",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO lead (store_id, customer_id, grade, intended_model, budget_cents, channel, status, \
             defeat_reason, owner_id, next_follow_up_at, created_at, source_record_id, closed_at, created_grade, \
             protected_until, referred_by_store_id, offer_id, first_contacted_at) \
             SELECT o.to_store_id, l.customer_id, l.grade, l.intended_model, l.budget_cents, l.channel, l.status, \
             l.defeat_reason, NULL, l.next_follow_up_at, o.answered_at, NULL, l.closed_at, l.grade, NULL, \
             o.from_store_id, o.id, o.answered_at FROM lead_offer o JOIN lead l ON l.id = o.lead_id ORDER BY o.id",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE lead_offer SET accepted_lead_id = (SELECT l.id FROM lead l WHERE l.offer_id = lead_offer.id) \
             WHERE accepted_lead_id IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE lead SET status = 'REFERRED', closed_at = (SELECT MIN(o.answered_at) FROM lead_offer o \
             WHERE o.lead_id = lead.id) WHERE status = 'OPEN' AND id IN (SELECT lead_id FROM lead_offer)",
        )
        .await?;
        manager.drop_table(Table::drop().table("lead_share").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["lead_offer", "customer_consent", "lead_conflict", "lead_follow_up", "store_lead_policy"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for name in
            ["ix_lead_store_id_customer_id_status", "ix_lead_store_id_status_next_follow_up_at", "ix_lead_offer_id"]
        {
            manager.drop_index(Index::drop().name(name).table("lead").to_owned()).await?;
        }
        for (name, _) in LEAD_COLUMNS.iter().rev() {
            manager.alter_table(Table::alter().table("lead").drop_column(*name).to_owned()).await?;
        }
        Ok(())
    }
}
