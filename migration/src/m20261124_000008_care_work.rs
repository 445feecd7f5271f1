//! Care work: the working-day calendar's overrides, care tasks generated from events,
//! and complaints with their append-only event log (neither can be deleted).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{}_{}", table, columns.join("_"))).table(table).if_not_exists();
    for col in columns {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt
}

fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
    let mut stmt = ForeignKey::create();
    stmt.name(format!("fk_{table}_{column}")).from(table, column).to(target, "id");
    stmt
}

const NO_DELETE_SQLITE: &[&str] = &[
    "CREATE TRIGGER complaint_no_delete BEFORE DELETE ON complaint BEGIN SELECT RAISE(ABORT, 'complaints are never deleted'); END",
    "CREATE TRIGGER complaint_event_no_delete BEFORE DELETE ON complaint_event BEGIN SELECT RAISE(ABORT, 'complaint events are never deleted'); END",
    "CREATE TRIGGER complaint_event_no_update BEFORE UPDATE ON complaint_event BEGIN SELECT RAISE(ABORT, 'complaint events are append-only'); END",
    "CREATE TRIGGER complaint_description_kept BEFORE UPDATE OF description ON complaint BEGIN SELECT RAISE(ABORT, 'a complaint''s description is never edited'); END",
];

const NO_DELETE_POSTGRES: &[&str] = &[
    "CREATE FUNCTION complaint_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'complaints are never deleted'; END $$",
    "CREATE TRIGGER complaint_no_delete BEFORE DELETE ON complaint FOR EACH ROW EXECUTE FUNCTION complaint_never_deleted()",
    "CREATE TRIGGER complaint_event_no_change BEFORE UPDATE OR DELETE ON complaint_event FOR EACH ROW EXECUTE FUNCTION complaint_never_deleted()",
    "CREATE FUNCTION complaint_description_kept() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.description IS DISTINCT FROM OLD.description THEN RAISE EXCEPTION 'a complaint''s description is never edited'; END IF; RETURN NEW; END $$",
    "CREATE TRIGGER complaint_description_kept BEFORE UPDATE ON complaint FOR EACH ROW EXECUTE FUNCTION complaint_description_kept()",
];

fn tables() -> Vec<(TableCreateStatement, Vec<IndexCreateStatement>)> {
    vec![
        (
            Table::create()
                .table("calendar_day")
                .if_not_exists()
                .col(date("day").primary_key())
                .col(boolean("working"))
                .col(string_len("name", 64))
                .col(integer_null("updated_by"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
            vec![],
        ),
        (
            Table::create()
                .table("care_task")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(string_len("kind", 32))
                .col(integer("store_id"))
                .col(integer("customer_id"))
                .col(integer_null("vehicle_id"))
                .col(integer_null("assignee_id"))
                .col(string_len("department", 24))
                .col(timestamp_with_time_zone("start_at"))
                .col(timestamp_with_time_zone("due_at"))
                .col(string_len("status", 24))
                .col(string_len_null("outcome", 24))
                .col(text_null("note"))
                .col(integer_null("done_by"))
                .col(timestamp_with_time_zone_null("done_at"))
                .col(string_len("source_kind", 32))
                .col(integer("source_id"))
                .col(string_len_uniq("dedupe_key", 128))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("care_task", "store_id", "store"))
                .foreign_key(&mut fk("care_task", "customer_id", "customer"))
                .to_owned(),
            vec![
                index("care_task", &["assignee_id", "status", "due_at"], false),
                index("care_task", &["store_id", "status", "due_at"], false),
                index("care_task", &["customer_id"], false),
            ],
        ),
        (
            Table::create()
                .table("complaint")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("store_id"))
                .col(integer("customer_id"))
                .col(string_len("department", 24))
                .col(string_len("category", 32))
                .col(string_len("severity", 24))
                .col(string_len("channel", 24))
                .col(text("description"))
                .col(string_len("status", 24))
                .col(integer_null("filed_by"))
                .col(timestamp_with_time_zone("filed_at"))
                .col(timestamp_with_time_zone("acknowledge_due_at"))
                .col(timestamp_with_time_zone("resolve_due_at"))
                .col(timestamp_with_time_zone_null("acknowledged_at"))
                .col(timestamp_with_time_zone_null("resolved_at"))
                .col(timestamp_with_time_zone_null("closed_at"))
                .col(timestamp_with_time_zone_null("escalated_at"))
                .col(integer("version"))
                .foreign_key(&mut fk("complaint", "store_id", "store"))
                .foreign_key(&mut fk("complaint", "customer_id", "customer"))
                .to_owned(),
            vec![index("complaint", &["store_id", "status"], false), index("complaint", &["customer_id"], false)],
        ),
        (
            Table::create()
                .table("complaint_event")
                .if_not_exists()
                .col(pk_auto("id"))
                .col(integer("complaint_id"))
                .col(string_len("kind", 24))
                .col(string_len_null("status_from", 24))
                .col(string_len_null("status_to", 24))
                .col(text_null("note"))
                .col(integer_null("staff_id"))
                .col(timestamp_with_time_zone("at"))
                .foreign_key(&mut fk("complaint_event", "complaint_id", "complaint"))
                .to_owned(),
            vec![index("complaint_event", &["complaint_id", "at"], false)],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, indexes) in tables() {
            manager.create_table(table).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        let db = manager.get_connection();
        let triggers =
            if manager.get_database_backend() == DbBackend::Postgres { NO_DELETE_POSTGRES } else { NO_DELETE_SQLITE };
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in ["complaint_event", "complaint", "care_task", "calendar_day"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION IF EXISTS complaint_never_deleted()").await?;
            db.execute_unprepared("DROP FUNCTION IF EXISTS complaint_description_kept()").await?;
        }
        Ok(())
    }
}
